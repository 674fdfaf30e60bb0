// Finds the non-deterministic parts of SQL text and decides what literal replaces each. The text itself
// is put together in rewrite.ts; this file only plans edits.
//
// The walk follows parentheses and the clause keywords that matter, which is all the structure these
// rules need: a function call is a name followed by `(`; its arguments are split by commas at its own
// depth; ORDER BY terms run until the clause that ends them; a CURRENT_* keyword is a value only where
// an expression can begin.
import { significantTokensByStatement } from './split.js';
import { rewritableStart } from './statement-head.js';
import type { Token } from './token.js';
import { isOperator, isWord, nameOf } from './token.js';

/** Replace the source text `[start, end)` (UTF-16 offsets) with `text`. `start === end` inserts. */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** What the planner needs to produce literals; the clock and the random source are read on demand. */
export interface LiteralSource {
  readonly random: boolean;
  readonly time: boolean;
  /** An integer literal, e.g. `-123`. */
  randomInteger(): string;
  /** A blob literal of `byteCount` random bytes, or undefined when the byte budget is spent. */
  randomBlob(byteCount: number): string | undefined;
  /** A time value that SQLite's date functions read as the current instant. */
  timeValue(): string;
  /** The value of CURRENT_TIMESTAMP, CURRENT_DATE or CURRENT_TIME at the current instant. */
  currentTime(keyword: CurrentTimeKeyword): string;
}

export type CurrentTimeKeyword = 'current_timestamp' | 'current_date' | 'current_time';

/** The largest RANDOMBLOB(N) replaced by a literal; a larger one is left as written. */
export const randomBlobBytesMax = 65_536;

/** Functions whose first argument is a time value. */
const timeValueFirst = new Set(['date', 'time', 'datetime', 'julianday', 'unixepoch']);
const rewrittenFunctions = new Set([...timeValueFirst, 'strftime', 'timediff', 'random', 'randomblob']);
const currentTimeKeywords = new Set<string>(['current_timestamp', 'current_date', 'current_time']);

/** Keywords that start a clause; a frame remembers the last one seen at its depth. */
const clauseKeywords = new Set([
  'select',
  'from',
  'join',
  'on',
  'using',
  'where',
  'group',
  'having',
  'window',
  'order',
  'limit',
  'set',
  'values',
  'returning',
  'with',
  'do',
]);

/** Keywords that end a list of ORDER BY terms at the same depth. */
const orderByEnders = new Set([
  'limit',
  'returning',
  'on',
  'rows',
  'range',
  'groups',
  'union',
  'intersect',
  'except',
  'window',
]);

/** Clauses in which the token after a comma is a name (a table, a column to set, a CTE, a window). */
const nameListClauses = new Set(['from', 'join', 'on', 'using', 'set', 'with', 'window']);

/** Operators after which an expression begins. */
const expressionOperators = new Set([
  '(',
  ',',
  '=',
  '==',
  '!=',
  '<>',
  '<',
  '<=',
  '>',
  '>=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '||',
  '&',
  '|',
  '<<',
  '>>',
  '~',
  '->',
  '->>',
]);

/** Keywords after which an expression begins. */
const expressionKeywords = new Set([
  'select',
  'distinct',
  'all',
  'where',
  'and',
  'or',
  'not',
  'case',
  'when',
  'then',
  'else',
  'between',
  'like',
  'glob',
  'regexp',
  'match',
  'is',
  'having',
  'by',
  'on',
  'returning',
  'limit',
  'offset',
  'escape',
]);

type FrameKind = 'statement' | 'call' | 'names' | 'group';

/** One level of parentheses (or the statement itself). */
interface Frame {
  readonly kind: FrameKind;
  /** For a call of a rewritten function: its lower-case name. */
  readonly callee: string | undefined;
  /** Index of the callee's name token, for a call. */
  readonly calleeIndex: number;
  /** Index of the `(`; -1 for the statement. */
  readonly openIndex: number;
  /** The frame was opened inside the ORDER BY terms of an enclosing frame. */
  readonly withinOrderBy: boolean;
  /** Indices of the commas at this depth. */
  readonly commas: number[];
  /** The last clause keyword seen at this depth. */
  clause: string | undefined;
  /** ORDER BY terms are being read at this depth. */
  orderBy: boolean;
}

/** Plans the edits that make `tokens` deterministic, in source order. */
export function planRewrite(tokens: readonly Token[], source: LiteralSource): Edit[] {
  const edits: Edit[] = [];
  if (!source.random && !source.time) return edits;
  for (const significant of significantTokensByStatement(tokens)) {
    const start = rewritableStart(significant);
    if (start !== undefined) planStatement(significant, start, source, edits);
  }
  return edits;
}

function newFrame(
  kind: FrameKind,
  openIndex: number,
  withinOrderBy: boolean,
  callee?: { name: string; index: number },
): Frame {
  return {
    kind,
    callee: callee?.name,
    calleeIndex: callee?.index ?? -1,
    openIndex,
    withinOrderBy,
    commas: [],
    clause: undefined,
    orderBy: false,
  };
}

function planStatement(
  significant: readonly Token[],
  from: number,
  source: LiteralSource,
  edits: Edit[],
): void {
  const stack: Frame[] = [newFrame('statement', -1, false)];
  for (let index = from; index < significant.length; index++) {
    const token = significant[index]!;
    const frame = stack[stack.length - 1]!;
    if (token.kind === 'operator') {
      if (token.text === '(') {
        stack.push(openFrame(significant, index, frame));
      } else if (token.text === ')') {
        // An unbalanced `)` is a syntax error SQLite will report; the walk just stays at the top.
        if (stack.length > 1) {
          stack.pop();
          planCall(significant, frame, index, source, edits);
        }
      } else if (token.text === ',') {
        frame.commas.push(index);
      }
      continue;
    }
    if (token.kind !== 'word') continue;
    const word = token.text.toLowerCase();
    if (currentTimeKeywords.has(word)) {
      if (source.time && isCurrentTimeValue(significant, index, frame)) {
        edits.push({
          start: token.start,
          end: token.end,
          text: source.currentTime(word as CurrentTimeKeyword),
        });
      }
      continue;
    }
    const previous = significant[index - 1];
    if (word === 'by' && isWord(previous, 'order')) {
      frame.orderBy = true;
    } else if (orderByEnders.has(word) && !isWord(previous, 'by') && !isOperator(previous, ',')) {
      // An ending keyword follows a complete term; right after BY or a comma it names a column.
      frame.orderBy = false;
    }
    if (clauseKeywords.has(word)) frame.clause = word;
  }
}

/** Classifies the group that the `(` at `index` opens. */
function openFrame(significant: readonly Token[], index: number, parent: Frame): Frame {
  const withinOrderBy = parent.withinOrderBy || parent.orderBy;
  const before = significant[index - 1];
  const name = nameOf(before)?.toLowerCase();
  if (
    name !== undefined &&
    (before?.kind === 'word' || before?.kind === 'quoted') &&
    rewrittenFunctions.has(name) &&
    !isOperator(significant[index - 2], '.')
  ) {
    return newFrame('call', index, withinOrderBy, { name, index: index - 1 });
  }
  return newFrame(isNameList(significant, index, parent) ? 'names' : 'group', index, withinOrderBy);
}

/**
 * True when the `(` at `index` opens a list of column names rather than expressions: the columns of
 * `INSERT INTO t (...)`, of a CTE `WITH c (...) AS`, of `USING (...)`, or the targets of
 * `UPDATE ... SET (a, b) = ...`.
 */
function isNameList(significant: readonly Token[], index: number, parent: Frame): boolean {
  const before = significant[index - 1];
  if (isWord(before, 'using') || isWord(before, 'set')) return true;
  if (isOperator(before, ',') && parent.clause === 'set') return true;
  if (nameOf(before) === undefined || (before?.kind === 'word' && isReservedBeforeParen(before)))
    return false;
  const beforeName = significant[index - 2];
  if (parent.clause === 'with') {
    return isWord(beforeName, 'with') || isWord(beforeName, 'recursive') || isOperator(beforeName, ',');
  }
  return isInsertTarget(significant, index - 1);
}

/** Keywords that take a parenthesized expression list and are never a table or CTE name there. */
function isReservedBeforeParen(token: Token): boolean {
  return ['values', 'in', 'exists', 'as', 'over', 'filter', 'cast', 'materialized'].includes(
    token.text.toLowerCase(),
  );
}

/** True when the name at `nameIndex` is the table of `INTO [schema.]table [AS alias]`. */
function isInsertTarget(significant: readonly Token[], nameIndex: number): boolean {
  let index = nameIndex - 1;
  if (isWord(significant[index], 'as')) {
    if (nameOf(significant[index - 1]) === undefined) return false;
    index -= 2;
  }
  if (isOperator(significant[index], '.')) {
    if (nameOf(significant[index - 1]) === undefined) return false;
    index -= 2;
  }
  return isWord(significant[index], 'into');
}

/**
 * SQLite reads CURRENT_TIMESTAMP, CURRENT_DATE and CURRENT_TIME as values where an expression can
 * begin, and as ordinary names elsewhere (`SELECT 1 AS current_date`, `t.current_date`, a table or a
 * column to set called so). Only the value is replaced.
 */
function isCurrentTimeValue(significant: readonly Token[], index: number, frame: Frame): boolean {
  const before = significant[index - 1];
  const after = significant[index + 1];
  if (isOperator(after, '.') || isOperator(after, '(')) return false;
  if (before === undefined || frame.kind === 'names') return false;
  if (before.kind === 'operator') {
    if (!expressionOperators.has(before.text)) return false;
    return !(before.text === ',' && frame.clause !== undefined && nameListClauses.has(frame.clause));
  }
  if (before.kind !== 'word') return false;
  const word = before.text.toLowerCase();
  if (word === 'by' && isWord(significant[index - 2], 'indexed')) return false;
  return expressionKeywords.has(word);
}

/** The arguments of a call as `[first, end)` ranges of significant-token indices. */
function argumentsOf(frame: Frame, closeIndex: number): [number, number][] {
  if (closeIndex === frame.openIndex + 1) return [];
  const bounds = [frame.openIndex, ...frame.commas, closeIndex];
  const ranges: [number, number][] = [];
  for (let i = 0; i + 1 < bounds.length; i++) ranges.push([bounds[i]! + 1, bounds[i + 1]!]);
  return ranges;
}

/** How a time-value argument asks for the current time, if it does. */
type CurrentTimeRequest = 'now' | 'subsec';

/**
 * `'now'` in any letter case, also double-quoted (SQLite reads `"now"` as a string when no column is
 * called now) and bare (as rqlite accepts it). `'subsec'` and `'subsecond'` used as the time value also
 * mean the current time, with milliseconds shown; only their string forms do, since a bare word is a
 * column.
 */
function currentTimeRequest(
  significant: readonly Token[],
  [first, end]: [number, number],
): CurrentTimeRequest | undefined {
  if (end - first !== 1) return undefined;
  const token = significant[first]!;
  const isStringLike = token.kind === 'string' || (token.kind === 'quoted' && token.text.startsWith('"'));
  if (!isStringLike && token.kind !== 'word') return undefined;
  const value = nameOf(token)?.toLowerCase();
  if (value === 'now') return 'now';
  if (isStringLike && (value === 'subsec' || value === 'subsecond')) return 'subsec';
  return undefined;
}

function planCall(
  significant: readonly Token[],
  frame: Frame,
  closeIndex: number,
  source: LiteralSource,
  edits: Edit[],
): void {
  if (frame.kind !== 'call' || frame.callee === undefined) return;
  const args = argumentsOf(frame, closeIndex);
  const nameToken = significant[frame.calleeIndex]!;
  const closeToken = significant[closeIndex]!;
  const callee = frame.callee;
  if (callee === 'random' || callee === 'randomblob') {
    if (!source.random || frame.withinOrderBy) return;
    const text = callee === 'random' ? randomCall(args, source) : randomBlobCall(significant, args, source);
    if (text !== undefined) edits.push({ start: nameToken.start, end: closeToken.end, text });
    return;
  }
  if (!source.time) return;
  if (timeValueFirst.has(callee)) {
    const first = args[0];
    if (first === undefined) {
      edits.push({ start: closeToken.start, end: closeToken.start, text: source.timeValue() });
    } else {
      replaceTimeValue(significant, first, source, edits, true);
    }
  } else if (callee === 'strftime') {
    const format = args[0];
    const time = args[1];
    if (format !== undefined && time === undefined) {
      const formatEnd = significant[format[1] - 1];
      if (formatEnd !== undefined && format[1] > format[0]) {
        edits.push({ start: formatEnd.end, end: formatEnd.end, text: `, ${source.timeValue()}` });
      }
    } else if (time !== undefined) {
      replaceTimeValue(significant, time, source, edits, true);
    }
  } else if (callee === 'timediff' && args.length === 2) {
    for (const arg of args) replaceTimeValue(significant, arg, source, edits, false);
  }
}

/**
 * Replaces a time-value argument that asks for the current time. `'subsec'` becomes the instant followed
 * by the `'subsec'` modifier where the function takes modifiers; timediff always shows milliseconds.
 */
function replaceTimeValue(
  significant: readonly Token[],
  arg: [number, number],
  source: LiteralSource,
  edits: Edit[],
  takesModifiers: boolean,
): void {
  const request = currentTimeRequest(significant, arg);
  if (request === undefined) return;
  const token = significant[arg[0]]!;
  const text =
    request === 'subsec' && takesModifiers ? `${source.timeValue()}, 'subsec'` : source.timeValue();
  edits.push({ start: token.start, end: token.end, text });
}

function randomCall(args: readonly [number, number][], source: LiteralSource): string | undefined {
  return args.length === 0 ? source.randomInteger() : undefined;
}

/**
 * RANDOMBLOB(N) with N an integer literal, optionally signed. SQLite returns one byte for N < 1. A
 * larger N than randomBlobBytesMax, a non-literal N, or one written as a real or with digit separators
 * is left as written.
 */
function randomBlobCall(
  significant: readonly Token[],
  args: readonly [number, number][],
  source: LiteralSource,
): string | undefined {
  const arg = args[0];
  if (args.length !== 1 || arg === undefined) return undefined;
  let [first] = arg;
  const end = arg[1];
  let negative = false;
  const sign = significant[first];
  if (end - first === 2 && (isOperator(sign, '-') || isOperator(sign, '+'))) {
    negative = sign?.text === '-';
    first++;
  }
  const literal = significant[first];
  if (end - first !== 1 || literal?.kind !== 'number') return undefined;
  const magnitude = integerLiteralValue(literal.text);
  if (magnitude === undefined) return undefined;
  const value = negative ? -magnitude : magnitude;
  if (value > BigInt(randomBlobBytesMax)) return undefined;
  return source.randomBlob(value < 1n ? 1 : Number(value));
}

/** The value of a decimal or hexadecimal integer literal; undefined for reals and digit separators. */
function integerLiteralValue(text: string): bigint | undefined {
  const hex = text.length > 2 && text[0] === '0' && (text[1] === 'x' || text[1] === 'X');
  const digits = hex ? text.slice(2) : text;
  const allowed = hex ? '0123456789abcdefABCDEF' : '0123456789';
  if (digits.length === 0 || [...digits].some((c) => !allowed.includes(c))) return undefined;
  return BigInt(text);
}
