/**
 * The email address check that persons, contact lists, users and the
 * registration page share: plain addresses pass; anything a mail server
 * would refuse, or that could split into two recipients or header lines, is
 * refused before it is stored (and a clear -2 or form error says so).
 */
import { describe, expect, it } from 'vitest';
import { isEmailAddress } from './email-address.js';

describe('isEmailAddress', () => {
  it('accepts plain addresses, subaddresses and international ones', () => {
    for (const address of [
      'ann@example.org',
      'ann.lee+baton@mail.example.co.uk',
      "o'brien@example.ie",
      'x_y-z@sub-domain.example.com',
      'jörg@example.de',
      'ann@exämple.org',
      `${'a'.repeat(64)}@example.org`,
    ]) {
      expect(isEmailAddress(address), address).toBe(true);
    }
  });

  it('refuses addresses with control characters, stray dots or hyphens, and lists', () => {
    for (const address of [
      'ann\u0001@example.org',
      'ann@example.org\u0007',
      'ann\u007f@example.org',
      'ann@example..org',
      'ann..lee@example.org',
      '.ann@example.org',
      'ann.@example.org',
      'ann@.example.org',
      'ann@example.org.',
      'ann@-example.org',
      'ann@example-.org',
      'ann@example.org,eve@example.net',
      'ann@example.org\r\nBcc: eve@example.net',
      'Ann <ann@example.org>',
      'ann@localhost',
      'ann@@example.org',
      'ann',
      '',
    ]) {
      expect(isEmailAddress(address), JSON.stringify(address)).toBe(false);
    }
  });
});
