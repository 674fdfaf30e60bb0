// Go's time.ParseDuration and time.Duration.String, exactly, on nanoseconds held as bigint. rqlite's
// clients send durations the Go way ("500ms", "1m30s", "1.5h", "2µs", "-1s") and read them back in Go's
// format (the `time_s` field of /nodes), so accepting and printing the same strings is part of the API.

const nanosecondsPerUnit: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n], // micro sign
  ['\u03bcs', 1_000n], // Greek small letter mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const int64Max = (1n << 63n) - 1n;
const magnitudeMax = 1n << 63n;

/** A string Go's time.ParseDuration refuses; the caller words the message for its context. */
export class DurationSyntaxError extends Error {
  override readonly name = 'DurationSyntaxError';
  constructor(readonly input: string) {
    super(`time: invalid duration ${JSON.stringify(input)}`);
  }
}

/** Parses a Go duration into nanoseconds: `[-+]?([0-9]*(\.[0-9]*)?[a-z µμ]+)+`, or "0", within int64. */
export function parseGoDurationNs(input: string): bigint {
  let rest = input;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw new DurationSyntaxError(input);
  let total = 0n;
  while (rest !== '') {
    if (!/^[0-9.]/.test(rest)) throw new DurationSyntaxError(input);
    const whole = /^[0-9]*/.exec(rest)?.[0] ?? '';
    rest = rest.slice(whole.length);
    let fraction = '';
    let hasFraction = false;
    if (rest.startsWith('.')) {
      fraction = /^[0-9]*/.exec(rest.slice(1))?.[0] ?? '';
      hasFraction = fraction.length > 0;
      rest = rest.slice(1 + fraction.length);
    }
    if (whole === '' && !hasFraction) throw new DurationSyntaxError(input);
    const unitName = /^[^0-9.]*/.exec(rest)?.[0] ?? '';
    const unit = nanosecondsPerUnit.get(unitName);
    if (unit === undefined) throw new DurationSyntaxError(input);
    rest = rest.slice(unitName.length);

    // The magnitude may reach 2^63 so that the most negative duration can be written.
    const wholeValue = whole === '' ? 0n : BigInt(whole);
    if (wholeValue > magnitudeMax / unit) throw new DurationSyntaxError(input);
    let value = wholeValue * unit;
    if (hasFraction) value += fractionNanoseconds(fraction, unit);
    if (value > magnitudeMax) throw new DurationSyntaxError(input);
    total += value;
    if (total > magnitudeMax) throw new DurationSyntaxError(input);
  }
  if (negative) return -total;
  if (total > int64Max) throw new DurationSyntaxError(input);
  return total;
}

/**
 * The fraction's contribution as Go computes it: digits are accumulated until the next one would overflow
 * (the rest are ignored), then scaled in float64 arithmetic and truncated.
 */
function fractionNanoseconds(digits: string, unit: bigint): bigint {
  let value = 0n;
  let scale = 1;
  for (const digit of digits) {
    const next = value * 10n + BigInt(digit);
    if (value > int64Max / 10n || next > magnitudeMax) break;
    value = next;
    scale *= 10;
  }
  return BigInt(Math.trunc(Number(value) * (Number(unit) / scale)));
}

/** Go's time.Duration.String: "1h2m3.5s", "1.5ms", "250µs", "42ns", "0s". */
export function formatGoDuration(nanoseconds: bigint): string {
  const negative = nanoseconds < 0n;
  let magnitude = negative ? -nanoseconds : nanoseconds;
  let out: string;
  if (magnitude < 1_000_000_000n) {
    if (magnitude === 0n) return '0s';
    if (magnitude < 1_000n) out = `${magnitude}ns`;
    else if (magnitude < 1_000_000n) out = `${withFraction(magnitude, 3)}\u00b5s`;
    else out = `${withFraction(magnitude, 6)}ms`;
  } else {
    const seconds = withFraction(magnitude % 60_000_000_000n, 9);
    magnitude /= 60_000_000_000n;
    out = `${seconds}s`;
    if (magnitude > 0n) {
      out = `${magnitude % 60n}m${out}`;
      magnitude /= 60n;
      if (magnitude > 0n) out = `${magnitude}h${out}`;
    }
  }
  return negative ? `-${out}` : out;
}

/** A duration in milliseconds (Dust's unit) as Go writes it, to the nanosecond. */
export function formatGoDurationMs(milliseconds: number): string {
  return formatGoDuration(BigInt(Math.round(milliseconds * 1e6)));
}

/** value / 10^precision with trailing zeros (and a bare point) removed, as Go's fmtFrac and fmtInt. */
function withFraction(value: bigint, precision: number): string {
  const divisor = 10n ** BigInt(precision);
  const fraction = (value % divisor).toString().padStart(precision, '0').replace(/0+$/, '');
  const whole = (value / divisor).toString();
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/** Nanoseconds to milliseconds as a number, the unit the rest of Dust uses for timeouts. */
export function nanosecondsToMs(nanoseconds: bigint): number {
  return Number(nanoseconds) / 1e6;
}
