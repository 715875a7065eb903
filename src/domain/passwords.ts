/**
 * Password hashing for the administration site: scrypt from node:crypto
 * (memory-hard), N=2^15, r=8, p=1 — 32 MiB and tens of milliseconds per hash,
 * the parameters OWASP lists — with a 16-byte random salt. The stored form
 * `scrypt$N$r$p$salt$hash` carries its parameters, so they can rise later
 * while old hashes still verify.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const cost = { N: 2 ** 15, r: 8, p: 1 };
const keyLength = 32;

/** Shortest and longest password accepted. */
export const passwordLimits = { min: 10, max: 200 } as const;

function derive(password: string, salt: Buffer, options: { N: number; r: number; p: number }): Promise<Buffer> {
  // maxmem: 128 * N * r bytes is what scrypt needs; allow twice that.
  const settings: ScryptOptions = { ...options, maxmem: 256 * options.N * options.r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keyLength, settings, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Hashes a password for storage. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

// Verified against when there is no user, so an unknown address costs as much as a wrong password.
const decoy = `scrypt$${cost.N}$${cost.r}$${cost.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(keyLength).toString('base64')}`;

/** True when `password` matches `stored`; a missing or malformed hash never matches (and still costs a hash). */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const parts = (stored || decoy).split('$');
  const usable = parts.length === 6 && parts[0] === 'scrypt';
  const [, n, r, p, salt, hash] = usable ? parts : decoy.split('$');
  const N = Number(n);
  const R = Number(r);
  const P = Number(p);
  // Parameters come from the database, but bound them anyway: a bad row must not exhaust memory.
  if (!(N >= 2 && N <= 2 ** 20 && R >= 1 && R <= 32 && P >= 1 && P <= 16)) return false;
  const expected = Buffer.from(hash!, 'base64');
  const key = await derive(password.slice(0, passwordLimits.max * 4), Buffer.from(salt!, 'base64'), {
    N,
    r: R,
    p: P,
  });
  return usable && Boolean(stored) && key.length === expected.length && timingSafeEqual(key, expected);
}
