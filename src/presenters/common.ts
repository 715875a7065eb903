/** Presenters for the small objects that many others carry. */
import type { RoleFlag } from '../domain/role-flags.js';
import type { CustomValue } from '../store/custom-value.repository.js';
import { list, type TreeList } from '../protocol/tree.js';

/** `custom`: CustomValue[] → `<custom><customValue><key/><value/></customValue></custom>`. */
export function presentCustomValues(values: readonly CustomValue[]): TreeList {
  return list(
    'customValue',
    values.map((v) => ({ key: v.key, value: v.value })),
  );
}

/** `setting` / `settings`: RoleFlag[]. */
export function presentRoleFlags(flags: readonly RoleFlag[]): TreeList {
  return list(
    'roleFlag',
    flags.map((f) => ({ role: f.role, mike: f.mike, mute: f.mute, deaf: f.deaf })),
  );
}

/** A UID array field. */
export function presentUids(uids: readonly string[]): TreeList {
  return list('UID', uids);
}

/** An array field this server keeps empty (tags, audio clips, inbound access lists). */
export function emptyList(item: string): TreeList {
  return list(item, []);
}

/** 0/1 columns → booleans. */
export function bool(flag: number): boolean {
  return flag !== 0;
}
