// SQL literals that stand for one instant of a UTC clock, in the forms SQLite itself produces or reads.
// Pure: the instant comes in as milliseconds since the Unix epoch; nothing here reads a clock.

/** The last millisecond SQLite's date functions can represent: 9999-12-31 23:59:59.999 UTC. */
export const clockMsMax = 253_402_300_799_999;

/** Checks that `ms` is an instant SQLite's date functions can represent and that a clock could give. */
export function assertClockMs(ms: number): void {
  if (!Number.isInteger(ms) || ms < 0 || ms > clockMsMax) {
    throw new Error(
      `the injected clock returned ${ms}: expected whole milliseconds since 1970-01-01 UTC, at most ${clockMsMax}`,
    );
  }
}

/** `YYYY-MM-DD HH:MM:SS.SSS` in UTC. */
function utcText(ms: number): string {
  assertClockMs(ms);
  const iso = new Date(ms).toISOString();
  // toISOString writes years 0000-9999 with four digits, which is all clockMsMax allows.
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/**
 * A time value that SQLite's date functions read as exactly this instant, the way they read `'now'`:
 * the same millisecond, marked as UTC (the trailing `Z`), so that the `utc` modifier leaves it alone and
 * `localtime` converts it, as both do for `'now'`. Example: `'2026-11-22 10:00:00.123Z'`.
 */
export function timeValueLiteral(ms: number): string {
  return `'${utcText(ms)}Z'`;
}

/** What CURRENT_TIMESTAMP evaluates to at this instant: `'2026-11-22 10:00:00'` (seconds truncated). */
export function currentTimestampLiteral(ms: number): string {
  return `'${utcText(ms).slice(0, 19)}'`;
}

/** What CURRENT_DATE evaluates to at this instant: `'2026-11-22'`. */
export function currentDateLiteral(ms: number): string {
  return `'${utcText(ms).slice(0, 10)}'`;
}

/** What CURRENT_TIME evaluates to at this instant: `'10:00:00'`. */
export function currentTimeLiteral(ms: number): string {
  return `'${utcText(ms).slice(11, 19)}'`;
}
