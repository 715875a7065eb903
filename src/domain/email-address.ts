/** Email address checks shared by persons, contact lists and self-registration. */
import { ParameterError } from '../errors.js';

// Deliberately plain: one @, no spaces, control characters or list separators, a dot in the domain.
const address =
  /^[^\s\u0000-\u001f\u007f@<>(),;:"\\[\]]+@[^\s\u0000-\u001f\u007f@<>(),;:"\\[\]]+\.[^\s\u0000-\u001f\u007f@<>(),;:"\\[\]]+$/;
// What mail servers deliver to (RFC 5321): a local part of at most 64 characters with no dot at
// either end or doubled; domain labels of letters (any script), digits and inner hyphens, at most 63
// characters each; a top level that is not all digits.
const localPart = /^(?!\.)(?!.*\.\.)(?!.*\.$).{1,64}$/u;
const domainLabel = /^(?!-)[\p{L}\p{M}\p{N}-]{1,63}(?<!-)$/u;
// Nothing invisible or unencodable anywhere: no control, format (zero-width, bidi overrides, soft
// hyphen), private-use or unassigned character, no lone surrogate, no separator. Otherwise
// "ann\u200b@example.org" would pass as an address other than ann@example.org (a second
// registration of the same mailbox), and a lone surrogate is not even UTF-8.
const invisible = /[\p{C}\p{Z}]/u;

/** True for an address mail can be sent to; plain on purpose, not the whole of RFC 5322. */
export function isEmailAddress(text: string): boolean {
  if (text.length > 254 || !address.test(text) || invisible.test(text)) return false;
  const at = text.indexOf('@');
  if (!localPart.test(text.slice(0, at))) return false;
  const labels = text.slice(at + 1).split('.');
  return labels.every((label) => domainLabel.test(label)) && !/^\d+$/.test(labels[labels.length - 1]!);
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
