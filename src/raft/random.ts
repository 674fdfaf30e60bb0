// Randomness enters the core through this interface only, so that a seed replays a whole cluster. The
// generator below is xoshiro128** seeded through splitmix32: 32-bit arithmetic that JavaScript does
// exactly, a period of 2^128 - 1, and good statistical quality for timeouts and fault injection.

export interface RandomSource {
  /** A uniformly distributed integer in [0, bound). `bound` is a positive integer at most 2^32. */
  nextInt(bound: number): number;
}

const twoTo32 = 0x1_0000_0000;

function splitmix32(state: { value: number }): number {
  state.value = (state.value + 0x9e3779b9) | 0;
  let z = state.value;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotateLeft(value: number, bits: number): number {
  return ((value << bits) | (value >>> (32 - bits))) >>> 0;
}

export class SeededRandom implements RandomSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** `seed` is any safe integer; its low and high 32-bit halves both feed the state. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    const low = seed >>> 0;
    const high = Math.floor(seed / twoTo32) >>> 0;
    const mixer = { value: (low ^ Math.imul(high, 0x27d4eb2d)) | 0 };
    this.s0 = splitmix32(mixer);
    this.s1 = splitmix32(mixer);
    this.s2 = splitmix32(mixer);
    this.s3 = splitmix32(mixer);
    // xoshiro's state must not be all zeros; splitmix32 makes that practically impossible, but be exact.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }

  nextInt(bound: number): number {
    if (!Number.isInteger(bound) || bound <= 0 || bound > twoTo32) {
      throw new RangeError(`bound must be an integer in [1, 2^32], got ${bound}`);
    }
    // Rejection sampling removes the bias a plain modulo would have for bounds that do not divide 2^32.
    const limit = twoTo32 - (twoTo32 % bound);
    for (;;) {
      const value = this.nextUint32();
      if (value < limit) return value % bound;
    }
  }

  /** A float in [0, 1) with 32 bits of precision. */
  nextFloat(): number {
    return this.nextUint32() / twoTo32;
  }

  /** True with probability `probability`. */
  chance(probability: number): boolean {
    return probability > 0 && this.nextFloat() < probability;
  }

  /** An integer in [low, high], both included. */
  between(low: number, high: number): number {
    if (high < low) throw new RangeError(`empty range [${low}, ${high}]`);
    return low + this.nextInt(high - low + 1);
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty array');
    return items[this.nextInt(items.length)] as T;
  }

  /**
   * An independent generator derived from this one. Components that draw from their own fork keep their
   * sequences when another component starts drawing more or fewer numbers.
   */
  fork(): SeededRandom {
    return new SeededRandom(this.nextUint32() * 0x20_0000 + (this.nextUint32() >>> 11));
  }
}
