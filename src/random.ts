/**
 * The randomness adapter: UIDs, keys, PINs and tokens. Production draws from
 * the operating system's CSPRNG; tests may substitute a source that makes PIN
 * collisions happen on purpose.
 */
import { randomBytes, randomInt } from 'node:crypto';

export interface Random {
  /** 16 characters of [A-Z0-9] (DESIGN.md). */
  uid(): string;
  /** 32 lowercase hex characters: an API key or a security token. */
  key(): string;
  /** 6 decimal digits, leading zeros kept. */
  pin(): string;
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function uid(): string {
  let out = '';
  while (out.length < 16) {
    for (const byte of randomBytes(24)) {
      // 252 = 7 * 36: drop the top bytes so every character is equally likely.
      if (byte < 252 && out.length < 16) out += alphabet[byte % 36];
    }
  }
  return out;
}

export const cryptoRandom: Random = {
  uid,
  key: () => randomBytes(16).toString('hex'),
  pin: () => String(randomInt(0, 1_000_000)).padStart(6, '0'),
};
