/** Email address checks shared by persons, contact lists and self-registration. */
import { ParameterError } from '../errors.js';

// Deliberately plain: one @, no spaces, control characters or list separators, a dot in the domain.
const address =
  /^[^\s\u0000-\u001f\u007f@<>(),;:"\\[\]]+@[^\s\u0000-\u001f\u007f@<>(),;:"\\[\]]+\.[^\s\u0000-\u001f\u007f@<>(),;:"\\[\]]+$/;
// What mail servers refuse: a dot at either end of the local part or two in a row, a domain label
// that is empty or starts or ends with a hyphen.
const badLocal = /^\.|\.$|\.\./;
const badLabel = /^$|^-|-$/;

/** True for an address Baton stores and mails to. */
export function isEmailAddress(text: string): boolean {
  if (text.length > 254 || !address.test(text)) return false;
  const at = text.indexOf('@');
  return (
    !badLocal.test(text.slice(0, at)) &&
    !text
      .slice(at + 1)
      .split('.')
      .some((label) => badLabel.test(label))
  );
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
