// Splits a SQL string into the pieces that successive sqlite3_prepare calls would compile, and lists the
// parameters of each piece. rqlite runs a string such as "INSERT ...; INSERT ..." by preparing it, running
// the first statement, and preparing the rest again until nothing is left; its results, its parameter
// distribution and its errors follow from that loop, so Dust reproduces the loop, and for that it needs
// to know where SQLite ends each statement. better-sqlite3 refuses strings with more than one statement
// and does not report where the first one ends.
//
// The scanner follows SQLite's tokenizer closely enough to find statement ends and parameters: strings,
// quoted identifiers, comments and blob literals are skipped whole, and a trigger body's inner semicolons
// do not end its CREATE TRIGGER (recognised by the ";END;" that closes it, as sqlite3_complete does). It
// does not parse SQL; SQLite still compiles every piece and reports every error.

/** One piece of a SQL string: what one sqlite3_prepare call consumes. */
export interface SqlUnit {
  /** The text handed to SQLite for this piece (leading separators included, trailing ones excluded). */
  readonly text: string;
  /** False when the piece holds only spaces, comments and semicolons: SQLite compiles it to nothing. */
  readonly hasStatement: boolean;
  /** Parameters of the statement, in SQLite's numbering. */
  readonly parameters: ParameterLayout;
  /** The statement's first keyword in upper case (`INSERT`, `BEGIN`, ...), or '' if it starts otherwise. */
  readonly firstWord: string;
}

/**
 * SQLite's numbering of a statement's parameters: `count` is sqlite3_bind_parameter_count, and
 * `names[i]` the name of parameter `i + 1` (with its prefix, as sqlite3_bind_parameter_name returns it),
 * or null for a plain `?` or for a number that no placeholder uses.
 */
export interface ParameterLayout {
  readonly count: number;
  readonly names: readonly (string | null)[];
  /** Every name is null: values bind by position alone (the usual `VALUES(?, ?)`). */
  readonly positionalOnly: boolean;
}

// Token kinds the splitter distinguishes; everything else is 'other'.
type TokenKind = 'space' | 'semicolon' | 'word' | 'variable' | 'other';

interface Token {
  readonly kind: TokenKind;
  readonly start: number;
  readonly end: number;
}

const maxParameterNumber = 32766; // SQLITE_MAX_VARIABLE_NUMBER of the build

/**
 * Splits `sql` into prepare-sized pieces as rqlite's driver walks them: after each piece the remainder is
 * trimmed of surrounding white space, and the walk stops when nothing remains. A string with no statement
 * at all yields one piece with `hasStatement` false.
 */
export function splitSqlUnits(sql: string): readonly SqlUnit[] {
  // Clients repeat the same statements, so the split of a string is remembered (it never changes).
  const cached = splitCache.get(sql);
  if (cached !== undefined) return cached;
  const units = splitUncached(sql);
  if (sql.length <= cachedSqlLengthMax) {
    if (splitCache.size >= cachedSplitsMax) splitCache.delete(splitCache.keys().next().value!);
    splitCache.set(sql, units);
  }
  return units;
}

const splitCache = new Map<string, readonly SqlUnit[]>();
const cachedSplitsMax = 1024;
const cachedSqlLengthMax = 4096;

function splitUncached(sql: string): readonly SqlUnit[] {
  const units: SqlUnit[] = [];
  let rest = sql;
  // Every piece consumes at least one character, so the walk ends; the bound makes that explicit.
  for (let guard = 0; guard <= sql.length; guard++) {
    const unit = firstUnit(rest);
    units.push(unit);
    rest = trimGoSpace(rest.slice(unit.text.length));
    if (rest === '') return units;
  }
  throw new Error('splitSqlUnits: the walk over the SQL string did not end');
}

/** The parameters of a SQL text holding one statement (the first one, if it holds several). */
export function parameterLayoutOf(sql: string): ParameterLayout {
  return firstUnit(sql).parameters;
}

// States of the statement-end recogniser; they mirror those of sqlite3_complete.
type EndState = 'start' | 'normal' | 'explain' | 'create' | 'trigger' | 'semicolon' | 'end';

function firstUnit(sql: string): SqlUnit {
  let state: EndState = 'start';
  let firstWord = '';
  const parameters = new ParameterNumbering();
  let position = 0;
  while (position < sql.length) {
    const token = nextToken(sql, position);
    position = token.end;
    if (token.kind === 'space') continue;
    if (token.kind === 'variable') parameters.add(sql.slice(token.start, token.end));
    const word = token.kind === 'word' ? sql.slice(token.start, token.end).toUpperCase() : '';
    if (token.kind === 'semicolon') {
      if (state === 'start') continue; // empty statements are skipped by the parser
      if (state === 'trigger' || state === 'semicolon') {
        state = 'semicolon';
        continue;
      }
      return { text: sql.slice(0, position), hasStatement: true, parameters: parameters.layout(), firstWord };
    }
    if (state === 'start') firstWord = word;
    state = nextEndState(state, word);
  }
  return { text: sql, hasStatement: state !== 'start', parameters: parameters.layout(), firstWord };
}

function nextEndState(state: EndState, word: string): EndState {
  switch (state) {
    case 'start':
      if (word === 'EXPLAIN') return 'explain';
      if (word === 'CREATE') return 'create';
      return 'normal';
    case 'explain':
      return word === 'CREATE' ? 'create' : 'normal';
    case 'create':
      if (word === 'TEMP' || word === 'TEMPORARY') return 'create';
      if (word === 'TRIGGER') return 'trigger';
      return 'normal';
    case 'normal':
      return 'normal';
    case 'trigger':
      return 'trigger';
    case 'semicolon':
      return word === 'END' ? 'end' : 'trigger';
    case 'end':
      return 'trigger';
  }
}

/** Assigns parameter numbers the way SQLite's parser does, in order of appearance. */
class ParameterNumbering {
  private count = 0;
  private readonly nameOfNumber = new Map<number, string>();
  private readonly numberOfName = new Map<string, number>();

  add(token: string): void {
    if (token === '?') {
      this.count += 1;
      return;
    }
    if (token.startsWith('?')) {
      const number = Number(token.slice(1));
      // Out-of-range numbers are SQLite's error to report; they take no part in the numbering here.
      if (!Number.isInteger(number) || number < 1 || number > maxParameterNumber) return;
      if (number > this.count) this.count = number;
      if (!this.nameOfNumber.has(number)) this.nameOfNumber.set(number, token);
      if (!this.numberOfName.has(token)) this.numberOfName.set(token, number);
      return;
    }
    if (this.numberOfName.has(token)) return;
    this.count += 1;
    this.numberOfName.set(token, this.count);
    this.nameOfNumber.set(this.count, token);
  }

  layout(): ParameterLayout {
    const names: (string | null)[] = [];
    for (let number = 1; number <= this.count; number++) names.push(this.nameOfNumber.get(number) ?? null);
    return { count: this.count, names, positionalOnly: names.every((name) => name === null) };
  }
}

function nextToken(sql: string, start: number): Token {
  const c = sql.charCodeAt(start);
  const next = start + 1 < sql.length ? sql.charCodeAt(start + 1) : -1;
  if (isSqlSpace(c)) {
    let end = start + 1;
    while (end < sql.length && isSqlSpace(sql.charCodeAt(end))) end++;
    return { kind: 'space', start, end };
  }
  if (c === 0x2d /* - */ && next === 0x2d) {
    const newline = sql.indexOf('\n', start + 2);
    return { kind: 'space', start, end: newline === -1 ? sql.length : newline + 1 };
  }
  if (c === 0x2f /* / */ && next === 0x2a /* * */) {
    const close = sql.indexOf('*/', start + 2);
    return { kind: 'space', start, end: close === -1 ? sql.length : close + 2 };
  }
  if (c === 0x3b /* ; */) return { kind: 'semicolon', start, end: start + 1 };
  if (c === 0x27 /* ' */ || c === 0x22 /* " */ || c === 0x60 /* ` */) {
    return { kind: 'other', start, end: endOfQuoted(sql, start, c) };
  }
  if (c === 0x5b /* [ */) {
    const close = sql.indexOf(']', start + 1);
    return { kind: 'other', start, end: close === -1 ? sql.length : close + 1 };
  }
  if ((c === 0x78 || c === 0x58) /* x X */ && next === 0x27) {
    return { kind: 'other', start, end: endOfQuoted(sql, start + 1, 0x27) };
  }
  if (c === 0x3f /* ? */) {
    let end = start + 1;
    while (end < sql.length && isDigit(sql.charCodeAt(end))) end++;
    return { kind: 'variable', start, end };
  }
  if (c === 0x3a /* : */ || c === 0x40 /* @ */ || c === 0x23 /* # */ || c === 0x24 /* $ */) {
    let end = start + 1;
    while (end < sql.length && isIdentifierChar(sql.charCodeAt(end))) end++;
    return { kind: end > start + 1 ? 'variable' : 'other', start, end };
  }
  if (isDigit(c) || (c === 0x2e /* . */ && isDigit(next))) {
    // A number, with any letters glued to it (SQLite calls that one illegal token).
    let end = start + 1;
    while (end < sql.length && (isIdentifierChar(sql.charCodeAt(end)) || sql.charCodeAt(end) === 0x2e)) end++;
    return { kind: 'other', start, end };
  }
  if (isIdentifierChar(c)) {
    let end = start + 1;
    while (end < sql.length && isIdentifierChar(sql.charCodeAt(end))) end++;
    return { kind: 'word', start, end };
  }
  return { kind: 'other', start, end: start + 1 };
}

/** End (exclusive) of a quoted token opened at `start`; a doubled quote is an escaped one. */
function endOfQuoted(sql: string, start: number, quote: number): number {
  let position = start + 1;
  while (position < sql.length) {
    if (sql.charCodeAt(position) === quote) {
      if (sql.charCodeAt(position + 1) === quote) {
        position += 2;
        continue;
      }
      return position + 1;
    }
    position++;
  }
  return sql.length; // unterminated: SQLite reports it as an unrecognized token
}

// SQLite's white space: tab, newline, form feed, carriage return, space (not vertical tab), and the
// byte-order mark it skips at the start of a token.
function isSqlSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0xfeff;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

// Letters, digits, '_', '$' and every non-ASCII character, as SQLite's IdChar().
function isIdentifierChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    isDigit(c) ||
    c === 0x5f ||
    c === 0x24 ||
    (c >= 0x80 && c !== 0xfeff)
  );
}

// Go's strings.TrimSpace: the driver trims the remainder of a string with it between statements. Go's
// white space (unicode.IsSpace) differs from JavaScript's \s by U+0085 (in) and U+FEFF (out).
const goSpaceAtEnds =
  /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/gu;

function trimGoSpace(text: string): string {
  return text.replace(goSpaceAtEnds, '');
}
