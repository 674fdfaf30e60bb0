// Durations are written the way rqlite users write them (Go's syntax): `30s`, `500ms`, `1m30s`, `1.5h`.

const unitMs: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const durationTextCharsMax = 64;

/**
 * Parses a duration into milliseconds, or returns an explanation of why it is not one. A lone `0` is
 * accepted without a unit, as Go does; negative durations are refused because every duration the shell
 * takes is a timeout.
 */
export function parseDurationMs(text: string): number | { readonly error: string } {
  if (text.length === 0) return { error: 'empty duration' };
  if (text.length > durationTextCharsMax) return { error: `duration too long: ${text.slice(0, 20)}...` };
  if (text === '0') return 0;
  const part = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  let rest = text;
  let totalMs = 0;
  while (rest.length > 0) {
    const match = part.exec(rest);
    if (match === null) {
      return /^(\d+(?:\.\d*)?|\.\d+)$/.test(rest)
        ? { error: `missing unit in duration "${text}" (use ms, s, m or h, e.g. 30s)` }
        : { error: `invalid duration "${text}" (examples: 500ms, 30s, 1m30s)` };
    }
    const amount = match[1];
    const unit = match[2];
    if (amount === undefined || unit === undefined) return { error: `invalid duration "${text}"` };
    const factor = unitMs[unit];
    if (factor === undefined) return { error: `unknown unit "${unit}" in duration "${text}"` };
    totalMs += Number(amount) * factor;
    rest = rest.slice(match[0].length);
  }
  if (!Number.isFinite(totalMs)) return { error: `duration out of range: "${text}"` };
  return totalMs;
}
