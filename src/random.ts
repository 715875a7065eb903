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

/**
 * Random bytes drawn from the CSPRNG 4 kB at a time: one `randomBytes` call
 * per UID cost more than the rest of making it.
 */
class BytePool {
  private bytes = Buffer.alloc(0);
  private next = 0;

  take(n: number): Buffer {
    if (this.next + n > this.bytes.length) {
      this.bytes = randomBytes(4096);
      this.next = 0;
    }
    const out = this.bytes.subarray(this.next, this.next + n);
    this.next += n;
    return out;
  }
}

const pool = new BytePool();

/** 2020-01-01T00:00:00Z: six base-36 digits of seconds from here last until 2089. */
const uidEpochSeconds = 1_577_836_800;

/**
 * A time-ordered UID: 6 characters of the creation second (base 36), then 10
 * random characters. New rows land at the right edge of the UID indexes
 * instead of anywhere in them. The random part carries 51.7 bits: someone who
 * knows the very second a conference was made still needs about 10^15
 * guesses on average, each an HTTP request (self-registration pages are
 * throttled per address); every API call also needs the customer's key.
 */
function uid(): string {
  let out = Math.max(0, Math.floor(Date.now() / 1000) - uidEpochSeconds)
    .toString(36)
    .toUpperCase()
    .padStart(6, '0')
    .slice(-6);
  while (out.length < 16) {
    for (const byte of pool.take(16)) {
      // 252 = 7 * 36: drop the top bytes so every character is equally likely.
      if (byte < 252 && out.length < 16) out += alphabet[byte % 36];
    }
  }
  return out;
}

export const cryptoRandom: Random = {
  uid,
  key: () => pool.take(16).toString('hex'),
  pin: () => String(randomInt(0, 1_000_000)).padStart(6, '0'),
};
