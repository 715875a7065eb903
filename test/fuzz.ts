/**
 * A small deterministic generator for the seeded fuzz tests (a linear congruential one): the same seed draws
 * the same requests, so a failure reported with its seed can be replayed (FUZZ_SEED=…).
 */
export function generator(start: number) {
  let state = start >>> 0;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick };
}
