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

  /** One byte, without a Buffer view of it (a UID takes them one at a time). */
  byte(): number {
    if (this.next >= this.bytes.length) {
      this.bytes = randomBytes(4096);
      this.next = 0;
    }
    return this.bytes[this.next++]!;
  }
}

const pool = new BytePool();

/** 2020-01-01T00:00:00Z: six base-36 digits of seconds from here last until 2089. */
const uidEpochSeconds = 1_577_836_800;

/**
 * A time-ordered UID: 6 characters of the creation second (base 36), one of
 * the 36th of that second (about 28 ms), then 9 random characters. New rows
 * land at the right edge of the UID indexes instead of anywhere in them: with
 * the second alone, the thousands of rows a busy second makes spread over
 * dozens of index pages, and 16 registrations committed together touched
 * 10–13 random leaves in each of persons' and pin_claims' UID indexes (23 of
 * a write group's 62 WAL pages; with the 36th, 6). The random part carries
 * 46.5 bits: someone who knows the very 28 ms a conference was made in still
 * needs about 5·10^13 guesses on average, each an HTTP request
 * (self-registration pages are throttled per address); every API call also
 * needs the customer's key.
 */
function uid(): string {
  const now = Date.now();
  // The time part is the same for every UID of one 36th of a second: made once for them.
  const step = Math.floor(now / 1000) * 36 + Math.floor(((now % 1000) * 36) / 1000);
  if (step !== uidStep) {
    uidStep = step;
    const prefix =
      Math.max(0, Math.floor(now / 1000) - uidEpochSeconds)
        .toString(36)
        .toUpperCase()
        .padStart(6, '0')
        .slice(-6) +
      Math.floor(((now % 1000) * 36) / 1000)
        .toString(36)
        .toUpperCase();
    uidChars.write(prefix, 0, 'latin1');
  }
  // The characters are written into one buffer and read out as one string:
  // appending them one by one made a string for each (a registration makes two UIDs).
  for (let at = 7; at < 16; ) {
    const byte = pool.byte();
    // 252 = 7 * 36: drop the top bytes so every character is equally likely.
    if (byte < 252) uidChars[at++] = alphabetCodes[byte % 36]!;
  }
  return uidChars.toString('latin1', 0, 16);
}

/** The UID being made (see `uid`), its time part kept for `uidStep`. */
const uidChars = Buffer.alloc(16);
let uidStep = -1;
const alphabetCodes = Buffer.from(alphabet, 'latin1');

export const cryptoRandom: Random = {
  uid,
  key: () => pool.take(16).toString('hex'),
  pin: () => String(randomInt(0, 1_000_000)).padStart(6, '0'),
};
