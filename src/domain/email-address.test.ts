import { describe, expect, it } from 'vitest';
import { isEmailAddress, normaliseEmailList } from './email-address.js';

describe('email addresses', () => {
  it('takes the addresses people have, international ones included', () => {
    for (const address of [
      'ann@example.com',
      'Ann.Lee@Example.COM',
      'ann+tag@mail.example.co.uk',
      "o'brien@example.ie",
      'a_b-c@sub-domain.example.org',
      'ann@müller.de',
      'jörg@example.de',
      'x@xn--mller-kva.de',
      '1@2.io',
    ]) {
      expect(isEmailAddress(address), address).toBe(true);
    }
  });

  it('refuses what no mail server delivers to: dots out of place, bad domain labels, a numeric top level', () => {
    for (const address of [
      'ann@example..com',
      '.ann@example.com',
      'ann.@example.com',
      'an..n@example.com',
      'ann@-example.com',
      'ann@example-.com',
      'ann@exa_mple.com',
      'ann@.example.com',
      'ann@example.com.',
      'ann@example.123',
      'ann@localhost',
      `${'a'.repeat(65)}@example.com`,
      `ann@${'a'.repeat(64)}.com`,
      'ann@@example.com',
      'ann@example.com,bob@example.com',
      'ann @example.com',
    ]) {
      expect(isEmailAddress(address), address).toBe(false);
    }
  });

  it('names the parameter when a list holds a bad address', () => {
    expect(normaliseEmailList(' a@x.org ; b@y.org ', 'contactEmail')).toBe('a@x.org,b@y.org');
    expect(() => normaliseEmailList('a@x.org,b@y..org', 'contactEmail')).toThrow(
      'contactEmail is not a valid email address: "b@y..org"',
    );
  });
});
