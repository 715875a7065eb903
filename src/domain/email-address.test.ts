import { describe, expect, it } from 'vitest';
import { isEmailAddress, normaliseEmailList } from './email-address.js';

describe('email addresses', () => {
  it('takes the addresses people have: subaddresses, quotes, international ones', () => {
    for (const address of [
      'ann@example.org',
      'ann.lee+baton@mail.example.co.uk',
      "o'brien@example.ie",
      'x_y-z@sub-domain.example.com',
      'jörg@example.de',
      'ann@exämple.org',
      `${'a'.repeat(64)}@example.org`,
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

  it('refuses what no mail server delivers to or could split into two recipients or header lines', () => {
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
      expect(isEmailAddress(address), JSON.stringify(address)).toBe(false);
    }
  });

  it('refuses invisible and unencodable characters: the same mailbox must not pass as another address', () => {
    for (const address of [
      'ann\u200b@example.org', // zero-width space
      'ann\u00ad@example.org', // soft hyphen
      'ann\u2060@example.org', // word joiner
      'ann\u202e@example.org', // right-to-left override: shows the address reversed
      'ann\u0085@example.org', // NEL, a line break to some mail software
      'ann\u009b@example.org', // a C1 control
      'ann\ud800@example.org', // a lone surrogate: not encodable as UTF-8
      'ann\ue000@example.org', // private use
      'ann\u00a0@example.org', // no-break space
    ]) {
      expect(isEmailAddress(address), JSON.stringify(address)).toBe(false);
    }
    // Letters of any script, marks and symbols stay.
    for (const address of ['zoë@example.org', 'e\u0301mile@example.org', '😀@example.org', '用户@例子.中国']) {
      expect(isEmailAddress(address), address).toBe(true);
    }
  });

  it('names the parameter when a list holds a bad address', () => {
    expect(normaliseEmailList(' a@x.org ; b@y.org ', 'contactEmail')).toBe('a@x.org,b@y.org');
    expect(() => normaliseEmailList('a@x.org,b@y..org', 'contactEmail')).toThrow(
      'contactEmail is not a valid email address: "b@y..org"',
    );
  });
});
