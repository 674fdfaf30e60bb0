// Redial delays: exponential, so that a peer that is down is not hammered, with jitter, so that the
// nodes of a cluster restarting together do not redial in lockstep, and bounded, so that a peer that
// comes back is found again within backoffMaxMs.

/**
 * The delay before redial attempt `failures` (1 after the first failure): a uniform draw from the upper
 * half of min(baseMs × 2^(failures-1), maxMs). `random` returns values in [0, 1).
 */
export function backoffDelayMs(
  failures: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const ceiling = Math.min(baseMs * 2 ** exponent, maxMs);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
