// Bounded waiting: every wait in the cluster tests has a deadline and says what it was waiting for.
import { performance } from 'node:perf_hooks';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Milliseconds on a monotonic clock, shared by every timing and history record of a test process. */
export function nowMs(): number {
  return performance.now();
}

/**
 * Calls `probe` every `intervalMs` until it returns a value other than undefined, and returns that value.
 * After `timeoutMs` it throws what `onTimeout` builds, so the caller can say what was last seen.
 */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  options: { readonly timeoutMs: number; readonly intervalMs?: number; readonly onTimeout: () => Error },
): Promise<T> {
  const deadline = nowMs() + options.timeoutMs;
  const intervalMs = options.intervalMs ?? 100;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (nowMs() >= deadline) throw options.onTimeout();
    await sleep(Math.min(intervalMs, Math.max(0, deadline - nowMs())));
  }
}
