/** RoleFlags: how a caller of each role enters the call (spec: role, mike, mute, deaf). */
import { roles, type Role } from '../protocol/params.js';

export interface RoleFlag {
  role: Role;
  mike: boolean;
  mute: boolean;
  deaf: boolean;
}

/**
 * The settings of a new conference: one RoleFlag per role. Everyone enters with
 * a microphone, unmuted and hearing — what a plain conference call does.
 */
export function defaultRoleFlags(): RoleFlag[] {
  return roles.map((role) => ({ role, mike: true, mute: false, deaf: false }));
}

/** Reads the settings column; a damaged value falls back to the defaults. */
export function parseRoleFlags(json: string): RoleFlag[] {
  try {
    const parsed = JSON.parse(json) as unknown;
    if (Array.isArray(parsed)) return parsed as RoleFlag[];
  } catch {
    // fall through
  }
  return defaultRoleFlags();
}
