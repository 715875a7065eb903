/** Email address checks shared by persons, contact lists and self-registration. */
import { ParameterError } from '../errors.js';

// Deliberately plain: one @, no spaces or list separators, a dot in the domain.
const address = /^[^\s@<>(),;:"\\[\]]+@[^\s@<>(),;:"\\[\]]+\.[^\s@<>(),;:"\\[\]]+$/;

export function isEmailAddress(text: string): boolean {
  return text.length <= 254 && address.test(text);
}

/** Validates one address; `label` names the parameter in the message. */
export function requireEmailAddress(text: string, label: string): string {
  const trimmed = text.trim();
  if (!isEmailAddress(trimmed)) throw new ParameterError(`${label} is not a valid email address: "${text}"`);
  return trimmed;
}

/** Validates a comma-separated list of addresses; returns it normalised ("a@x.org,b@y.org"). */
export function normaliseEmailList(text: string, label: string): string {
  const parts = text
    .split(/[,;]/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const part of parts) requireEmailAddress(part, label);
  return parts.join(',');
}
