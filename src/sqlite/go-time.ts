// Times as rqlite's SQLite driver reports them. A column declared DATE, DATETIME or TIMESTAMP is read
// by the Go driver as a time value: text is parsed with a fixed list of layouts by Go's time.Parse,
// integers are Unix seconds (or milliseconds when large), and the result is printed with Go's
// Time.MarshalText (RFC 3339 with nanoseconds). Clients parse those strings, so Dust reproduces the
// rules exactly, including Go's leniencies (one-digit hours, runs of spaces, a comma before the
// fraction), its zero time for text that does not parse, and its errors for years outside 0..9999.

/** A time as Go holds it after parsing: wall-clock fields and the offset from UTC they are written in. */
export interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly nanosecond: number;
  readonly offsetSeconds: number;
}

/** Go's zero time, which the driver returns for text that matches none of its layouts. */
export const goZeroTime: WallTime = {
  year: 1,
  month: 1,
  day: 1,
  hour: 0,
  minute: 0,
  second: 0,
  nanosecond: 0,
  offsetSeconds: 0,
};

/** A time that Go's Time.MarshalText refuses to print; rqlite fails the statement with this message. */
export class TimeFormatError extends Error {
  override readonly name = 'TimeFormatError';
}

// The driver's layouts (Go reference-time notation), tried in this order.
type LayoutElement =
  'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'fraction' | 'zone' | '-' | ':' | ' ' | 'T';
const layouts: readonly (readonly LayoutElement[])[] = [
  ['year', '-', 'month', '-', 'day', ' ', 'hour', ':', 'minute', ':', 'second', 'fraction', 'zone'],
  ['year', '-', 'month', '-', 'day', 'T', 'hour', ':', 'minute', ':', 'second', 'fraction', 'zone'],
  ['year', '-', 'month', '-', 'day', ' ', 'hour', ':', 'minute', ':', 'second', 'fraction'],
  ['year', '-', 'month', '-', 'day', 'T', 'hour', ':', 'minute', ':', 'second', 'fraction'],
  ['year', '-', 'month', '-', 'day', ' ', 'hour', ':', 'minute', ':', 'second'],
  ['year', '-', 'month', '-', 'day', 'T', 'hour', ':', 'minute', ':', 'second'],
  ['year', '-', 'month', '-', 'day', ' ', 'hour', ':', 'minute'],
  ['year', '-', 'month', '-', 'day', 'T', 'hour', ':', 'minute'],
  ['year', '-', 'month', '-', 'day'],
];

/**
 * The time a DATE/DATETIME/TIMESTAMP column's text stands for, or Go's zero time when no layout
 * matches. One trailing "Z" is removed first, as the driver does; times without an offset are UTC.
 */
export function parseDatetimeText(text: string): WallTime {
  const value = text.endsWith('Z') ? text.slice(0, -1) : text;
  for (const layout of layouts) {
    const parsed = parseWithLayout(value, layout);
    if (parsed !== undefined) return parsed;
  }
  return goZeroTime;
}

/**
 * The time a DATE/DATETIME/TIMESTAMP column's integer stands for: Unix seconds, or Unix milliseconds when
 * its magnitude exceeds 10^12. The millisecond product wraps around 64 bits as Go's int64 does.
 */
export function wallTimeFromUnix(value: bigint): WallTime {
  const nanosecondsPerSecond = 1_000_000_000n;
  let seconds: bigint;
  let nanosecond: bigint;
  if (value > 1_000_000_000_000n || value < -1_000_000_000_000n) {
    const nanoseconds = BigInt.asIntN(64, value * 1_000_000n);
    seconds = nanoseconds / nanosecondsPerSecond;
    nanosecond = nanoseconds % nanosecondsPerSecond;
    if (nanosecond < 0n) {
      seconds -= 1n;
      nanosecond += nanosecondsPerSecond;
    }
  } else {
    seconds = value;
    nanosecond = 0n;
  }
  // Both branches leave |seconds| below 2^53, so plain numbers are exact from here on.
  const totalSeconds = Number(seconds);
  const days = Math.floor(totalSeconds / 86_400);
  const secondOfDay = totalSeconds - days * 86_400;
  const { year, month, day } = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(secondOfDay / 3600),
    minute: Math.floor((secondOfDay % 3600) / 60),
    second: secondOfDay % 60,
    nanosecond: Number(nanosecond),
    offsetSeconds: 0,
  };
}

/** Go's Time.MarshalText: RFC 3339 with the fraction's trailing zeros removed, "Z" for UTC. */
export function formatRfc3339Nano(time: WallTime): string {
  if (time.year < 0 || time.year > 9999) {
    throw new TimeFormatError('Time.MarshalText: year outside of range [0,9999]');
  }
  const offsetMinutes = Math.trunc(time.offsetSeconds / 60);
  if (time.offsetSeconds !== 0 && Math.trunc(Math.abs(offsetMinutes) / 60) >= 24) {
    throw new TimeFormatError('Time.MarshalText: timezone hour outside of range [0,23]');
  }
  let text =
    `${pad(time.year, 4)}-${pad(time.month, 2)}-${pad(time.day, 2)}` +
    `T${pad(time.hour, 2)}:${pad(time.minute, 2)}:${pad(time.second, 2)}`;
  if (time.nanosecond !== 0) text += '.' + pad(time.nanosecond, 9).replace(/0+$/u, '');
  if (time.offsetSeconds === 0) return text + 'Z';
  const sign = offsetMinutes < 0 ? '-' : '+';
  const magnitude = Math.abs(offsetMinutes);
  return `${text}${sign}${pad(Math.trunc(magnitude / 60), 2)}:${pad(magnitude % 60, 2)}`;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

interface ParseState {
  value: string;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanosecond: number;
  offsetSeconds: number | undefined;
}

// One layout, applied as Go's time.Parse applies it; undefined when the text does not fit.
function parseWithLayout(text: string, layout: readonly LayoutElement[]): WallTime | undefined {
  const state: ParseState = {
    value: text,
    year: 1,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
    nanosecond: 0,
    offsetSeconds: undefined,
  };
  for (let index = 0; index < layout.length; index++) {
    const element = layout[index]!;
    if (!applyElement(state, element, layout[index + 1])) return undefined;
  }
  if (state.value.length > 0) return undefined; // Go: "extra text"
  if (state.day < 1 || state.day > daysInMonth(state.month, state.year)) return undefined;
  return {
    year: state.year,
    month: state.month,
    day: state.day,
    hour: state.hour,
    minute: state.minute,
    second: state.second,
    nanosecond: state.nanosecond,
    offsetSeconds: state.offsetSeconds ?? 0,
  };
}

function applyElement(
  state: ParseState,
  element: LayoutElement,
  nextElement: LayoutElement | undefined,
): boolean {
  switch (element) {
    case 'year': {
      if (state.value.length < 4 || !isDigitAt(state.value, 0)) return false;
      const digits = state.value.slice(0, 4);
      if (!/^[0-9]{4}$/u.test(digits)) return false;
      state.year = Number(digits);
      state.value = state.value.slice(4);
      return true;
    }
    case 'month': {
      const month = takeNumber(state, true);
      if (month === undefined || month < 1 || month > 12) return false;
      state.month = month;
      return true;
    }
    case 'day': {
      const day = takeNumber(state, true);
      if (day === undefined) return false;
      state.day = day; // checked against the month once the whole layout has matched, as Go does
      return true;
    }
    case 'hour': {
      const hour = takeNumber(state, false);
      if (hour === undefined || hour >= 24) return false;
      state.hour = hour;
      return true;
    }
    case 'minute': {
      const minute = takeNumber(state, true);
      if (minute === undefined || minute >= 60) return false;
      state.minute = minute;
      return true;
    }
    case 'second': {
      const second = takeNumber(state, true);
      if (second === undefined || second >= 60) return false;
      state.second = second;
      // Go accepts a fraction after the seconds even when the layout has none.
      if (nextElement !== 'fraction' && startsFraction(state.value)) return takeFraction(state);
      return true;
    }
    case 'fraction':
      return startsFraction(state.value) ? takeFraction(state) : true; // the fraction is optional
    case 'zone':
      return takeZone(state);
    case ' ': {
      // A space in a Go layout matches a run of spaces (or none at the end of the text).
      if (state.value.length > 0 && state.value[0] !== ' ') return false;
      state.value = state.value.replace(/^ +/u, '');
      return true;
    }
    case '-':
    case ':':
    case 'T': {
      // Other characters of a layout must appear as they are.
      if (!state.value.startsWith(element)) return false;
      state.value = state.value.slice(1);
      return true;
    }
  }
}

// Go's getnum: one or two digits; with `fixed`, exactly two.
function takeNumber(state: ParseState, fixed: boolean): number | undefined {
  if (!isDigitAt(state.value, 0)) return undefined;
  if (!isDigitAt(state.value, 1)) {
    if (fixed) return undefined;
    const digit = Number(state.value[0]);
    state.value = state.value.slice(1);
    return digit;
  }
  const number = Number(state.value.slice(0, 2));
  state.value = state.value.slice(2);
  return number;
}

function startsFraction(value: string): boolean {
  return value.length >= 2 && (value[0] === '.' || value[0] === ',') && isDigitAt(value, 1);
}

// Go reads every digit of a fraction but keeps only the first nine (truncating, not rounding).
function takeFraction(state: ParseState): boolean {
  let end = 1;
  while (end < state.value.length && isDigitAt(state.value, end)) end++;
  const digits = state.value.slice(1, Math.min(end, 10));
  state.nanosecond = Number(digits.padEnd(9, '0'));
  state.value = state.value.slice(end);
  return true;
}

// "-07:00": a sign, two-digit hours, a colon, two-digit minutes. Go lets 24 hours and 60 minutes through.
function takeZone(state: ParseState): boolean {
  const value = state.value;
  if (value.length < 6 || value[3] !== ':') return false;
  const sign = value[0];
  if (!/^[0-9]{2}$/u.test(value.slice(1, 3)) || !/^[0-9]{2}$/u.test(value.slice(4, 6))) return false;
  const hours = Number(value.slice(1, 3));
  const minutes = Number(value.slice(4, 6));
  if (hours > 24 || minutes > 60) return false;
  const magnitude = (hours * 60 + minutes) * 60;
  if (sign === '+') state.offsetSeconds = magnitude;
  else if (sign === '-') state.offsetSeconds = -magnitude;
  else return false;
  state.value = value.slice(6);
  return true;
}

function isDigitAt(value: string, index: number): boolean {
  const c = value.charCodeAt(index);
  return c >= 0x30 && c <= 0x39;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(month: number, year: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The proleptic Gregorian date `days` days after 1970-01-01 (negative before it). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  // Count from 0000-03-01 in 400-year eras, so that the leap day falls at the end of each year.
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}
