import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.js';

describe('password hashing', () => {
  it('stores scrypt with its parameters and a random salt, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
  });

  it('never matches a missing, empty, malformed or oversized hash', async () => {
    for (const stored of [undefined, '', 'plain', 'scrypt$1$1$1$x$y', `scrypt$${2 ** 24}$8$1$AAAA$AAAA`]) {
      expect(await verifyPassword('anything at all', stored)).toBe(false);
    }
  });
});
