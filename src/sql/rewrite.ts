// Makes a write deterministic before it is replicated: every node applies the same statement text, so
// whatever SQLite would compute from its own clock or random source must be decided once, here, by the
// node that received the request, and written into the text as literals. See DESIGN.md for the rules.
import {
  assertClockMs,
  currentDateLiteral,
  currentTimeLiteral,
  currentTimestampLiteral,
  timeValueLiteral,
} from './clock-literals.js';
import type { CurrentTimeKeyword, Edit, LiteralSource } from './rewrite-plan.js';
import { planRewrite } from './rewrite-plan.js';
import type { Token } from './token.js';
import { tokenize } from './tokenize.js';

export interface RewriteOptions {
  /** Replace RANDOM() and RANDOMBLOB(N) (rqlite's `norwrandom` turns this off). */
  readonly random: boolean;
  /** Replace the current time: `'now'` in date functions and CURRENT_* (rqlite's `norwtime`). */
  readonly time: boolean;
  /** A uniformly random signed 64-bit integer. */
  randomInt64(): bigint;
  /** `n` random bytes. */
  randomBytes(n: number): Uint8Array;
  /** The current UTC time in whole milliseconds since the Unix epoch. Read at most once per call. */
  nowMs(): number;
}

export interface RewriteResult {
  readonly sql: string;
  /** False when `sql` is the input, unchanged. */
  readonly changed: boolean;
}

/**
 * The most random bytes one rewrite writes as blob literals. Each byte takes two characters of SQL, so
 * this bounds how much a short request (`randomblob(65536)` repeated) can grow in the log. Calls past
 * the budget are left as written.
 */
export const randomBlobBytesBudget = 1_048_576;

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/** Rewrites the non-deterministic parts of `sql` (one statement or several) into literals. */
export function rewrite(sql: string, options: RewriteOptions): RewriteResult {
  const tokens = tokenize(sql);
  const edits = planRewrite(tokens, literalSource(options));
  if (edits.length === 0) return { sql, changed: false };
  return { sql: applyEdits(sql, tokens, edits), changed: true };
}

/** Produces literals from the injected sources, checking what they return. */
export function literalSource(options: RewriteOptions): LiteralSource {
  let clockMs: number | undefined;
  const now = (): number => {
    if (clockMs === undefined) {
      clockMs = options.nowMs();
      assertClockMs(clockMs);
    }
    return clockMs;
  };
  // The instant is fixed for the whole rewrite, and so are the literals made from it.
  let timeValue: string | undefined;
  const currentTimes = new Map<CurrentTimeKeyword, string>();
  let blobBytesLeft = randomBlobBytesBudget;
  return {
    random: options.random,
    time: options.time,
    randomInteger(): string {
      const value = options.randomInt64();
      if (typeof value !== 'bigint' || value < int64Min || value > int64Max) {
        throw new Error(
          `the injected randomInt64() returned ${String(value)}: expected a bigint in the int64 range`,
        );
      }
      // A negative integer is written with its minus sign, which SQLite folds into the literal, even
      // for -9223372036854775808.
      return value.toString();
    },
    randomBlob(byteCount: number): string | undefined {
      if (byteCount > blobBytesLeft) return undefined;
      blobBytesLeft -= byteCount;
      const bytes = options.randomBytes(byteCount);
      if (!(bytes instanceof Uint8Array) || bytes.length !== byteCount) {
        throw new Error(`the injected randomBytes(${byteCount}) did not return ${byteCount} bytes`);
      }
      return `x'${hexOf(bytes)}'`;
    },
    timeValue(): string {
      timeValue ??= timeValueLiteral(now());
      return timeValue;
    },
    currentTime(keyword: CurrentTimeKeyword): string {
      let literal = currentTimes.get(keyword);
      if (literal === undefined) {
        literal = currentTimeLiteralOf(keyword, now());
        currentTimes.set(keyword, literal);
      }
      return literal;
    },
  };
}

function currentTimeLiteralOf(keyword: CurrentTimeKeyword, ms: number): string {
  switch (keyword) {
    case 'current_timestamp':
      return currentTimestampLiteral(ms);
    case 'current_date':
      return currentDateLiteral(ms);
    case 'current_time':
      return currentTimeLiteral(ms);
  }
}

function hexOf(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Applies edits (sorted, not overlapping) to the source. A literal that would run into a neighbouring
 * token gets a space on that side: `5-random()` must not become `5--123`, which starts a comment.
 */
export function applyEdits(sql: string, tokens: readonly Token[], edits: readonly Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const pieces: string[] = [];
  let copiedUpTo = 0;
  let previous: { end: number; text: string } | undefined;
  sorted.forEach((edit, index) => {
    if (edit.start < copiedUpTo || edit.end < edit.start) {
      throw new Error(`rewrite edits overlap at offset ${edit.start}`);
    }
    const at = firstTokenFrom(tokens, edit.start);
    if (tokens[at]?.start !== edit.start && edit.start !== sql.length) {
      throw new Error(`rewrite edit at offset ${edit.start} does not start on a token boundary`);
    }
    pieces.push(sql.slice(copiedUpTo, edit.start));
    const left = previous?.end === edit.start ? previous.text : (tokens[at - 1]?.text ?? '');
    const nextEdit = sorted[index + 1];
    const after = tokens[firstTokenFrom(tokens, edit.end)];
    const right = nextEdit?.start === edit.end || after?.start !== edit.end ? '' : after.text;
    let text = edit.text;
    if (!staysApart(left, text)) text = ` ${text}`;
    if (!staysApart(text, right)) text = `${text} `;
    pieces.push(text);
    copiedUpTo = edit.end;
    previous = { end: edit.end, text };
  });
  pieces.push(sql.slice(copiedUpTo));
  return pieces.join('');
}

/** The index of the first token that starts at or after `offset` (tokens.length if none). */
function firstTokenFrom(tokens: readonly Token[], offset: number): number {
  let low = 0;
  let high = tokens.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (tokens[middle]!.start < offset) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** True when `left` followed directly by `right` tokenizes as the tokens of each, one after the other. */
function staysApart(left: string, right: string): boolean {
  if (standsAlone(left) || standsAlone(right)) return true;
  const apart = [...tokenize(left), ...tokenize(right)].map((token) => token.text);
  const together = tokenize(left + right).map((token) => token.text);
  return apart.length === together.length && apart.every((text, index) => text === together[index]);
}

/** Text that no neighbour can join: nothing, whitespace, or a parenthesis or comma (always one token). */
function standsAlone(text: string): boolean {
  if (text === '(' || text === ')' || text === ',') return true;
  for (const c of text) if (!' \t\n\r\f\v'.includes(c)) return false;
  return true;
}
