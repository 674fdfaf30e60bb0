// SQL text sent to /db/load (a dump, typically) made ready to run as one transaction, so that a failing
// statement leaves the database as it was: the script is split into statements, its own transaction
// control (BEGIN, COMMIT, END — a dump has them) is dropped, and a ROLLBACK, which could only undo part
// of an all-or-nothing load, is refused. Foreign keys are checked at the end rather than statement by
// statement (defer_foreign_keys), as a dump inserts rows table by table and relies on
// `PRAGMA foreign_keys=OFF`, which has no effect inside a transaction.
//
// The splitter is a single linear pass over the characters: a dump of tens of megabytes splits in well
// under a second. It ends statements where SQLite's sqlite3_complete() does: at a semicolon outside
// strings, quoted names and comments, except inside the body of a CREATE TRIGGER, which ends at
// `END;`. It only finds where statements end; SQLite compiles each one and reports its errors.

/** A script statement and where it starts, for error messages. */
export interface ScriptStatement {
  readonly sql: string;
  /** 1-based line of the statement's first character in the script. */
  readonly line: number;
}

/** The script cannot be loaded as one transaction; the message says why and where. */
export class LoadScriptError extends Error {
  override readonly name = 'LoadScriptError';
}

/** The statement that makes a load check foreign keys once, at its end. */
export const deferForeignKeysStatement = 'PRAGMA defer_foreign_keys=ON';

/**
 * The statements of `script` to run in one transaction, in order, without the script's own transaction
 * control. Throws LoadScriptError for a ROLLBACK (other than ROLLBACK TO a savepoint).
 */
export function loadScriptStatements(script: string): ScriptStatement[] {
  const kept: ScriptStatement[] = [];
  for (const statement of splitScript(script)) {
    const [first, second, third] = statement.words;
    if (first === 'BEGIN' || first === 'COMMIT' || first === 'END') continue;
    if (first === 'ROLLBACK' && second !== 'TO' && third !== 'TO') {
      throw new LoadScriptError(
        `the SQL text has a ROLLBACK at line ${statement.line}: it is loaded as one transaction, all or ` +
          'nothing, so it cannot roll part of itself back; remove the ROLLBACK (a dump that ends in ' +
          'ROLLBACK is incomplete)',
      );
    }
    kept.push({ sql: statement.sql, line: statement.line });
  }
  return kept;
}

interface SplitStatement extends ScriptStatement {
  /** The first three words of the statement in upper case (fewer if it has fewer). */
  readonly words: readonly string[];
}

// States of the statement-end recogniser, as in sqlite3_complete().
const enum EndState {
  Start,
  Normal,
  Explain,
  Create,
  Trigger,
  TriggerSemicolon,
  TriggerEnd,
}

/** Splits `script` into its statements (without their `;`), skipping empty ones. */
export function splitScript(script: string): SplitStatement[] {
  const statements: SplitStatement[] = [];
  let state = EndState.Start;
  let statementStart = -1; // index of the first significant character of the statement
  let statementLine = 1;
  let line = 1;
  let words: string[] = [];
  const length = script.length;
  let index = 0;
  const finish = (end: number): void => {
    if (statementStart !== -1) {
      statements.push({ sql: script.slice(statementStart, end).trimEnd(), line: statementLine, words });
    }
    statementStart = -1;
    words = [];
    state = EndState.Start;
  };
  // Each step consumes at least one character, so the walk ends after at most `length` steps.
  while (index < length) {
    const code = script.charCodeAt(index);
    if (code === 0x0a) {
      line++;
      index++;
      continue;
    }
    if (isSpace(code)) {
      index++;
      continue;
    }
    const next = index + 1 < length ? script.charCodeAt(index + 1) : -1;
    if (code === 0x2d /* - */ && next === 0x2d) {
      const end = script.indexOf('\n', index + 2);
      index = end === -1 ? length : end; // the newline itself is counted by the loop
      continue;
    }
    if (code === 0x2f /* / */ && next === 0x2a /* * */) {
      const close = script.indexOf('*/', index + 2);
      const end = close === -1 ? length : close + 2;
      line += countNewlines(script, index, end);
      index = end;
      continue;
    }
    if (code === 0x3b /* ; */) {
      if (state === EndState.Trigger || state === EndState.TriggerSemicolon) {
        state = EndState.TriggerSemicolon;
        index++;
        continue;
      }
      // A semicolon with nothing before it is an empty statement, which SQLite skips.
      if (statementStart !== -1) finish(index);
      index++;
      continue;
    }
    if (statementStart === -1) {
      statementStart = index;
      statementLine = line;
    }
    if (code === 0x27 || code === 0x22 || code === 0x60 || code === 0x5b) {
      const end = endOfQuoted(script, index, code === 0x5b ? 0x5d : code);
      line += countNewlines(script, index, end);
      index = end;
      state = nextState(state, '');
      continue;
    }
    if (isWordCharacter(code)) {
      let end = index + 1;
      while (end < length && isWordCharacter(script.charCodeAt(end))) end++;
      const word = script.slice(index, end).toUpperCase();
      if (words.length < 3) words.push(word);
      state = nextState(state, word);
      index = end;
      continue;
    }
    state = nextState(state, '');
    index++;
  }
  finish(length);
  return statements;
}

function nextState(state: EndState, word: string): EndState {
  switch (state) {
    case EndState.Start:
      if (word === 'EXPLAIN') return EndState.Explain;
      if (word === 'CREATE') return EndState.Create;
      return EndState.Normal;
    case EndState.Explain:
      // sqlite3_complete() stays here until a keyword: CREATE may still start a trigger.
      if (word === 'CREATE') return EndState.Create;
      if (
        word === 'EXPLAIN' ||
        word === 'TEMP' ||
        word === 'TEMPORARY' ||
        word === 'TRIGGER' ||
        word === 'END'
      ) {
        return EndState.Normal;
      }
      return EndState.Explain;
    case EndState.Create:
      if (word === 'TEMP' || word === 'TEMPORARY') return EndState.Create;
      return word === 'TRIGGER' ? EndState.Trigger : EndState.Normal;
    case EndState.Normal:
      return EndState.Normal;
    case EndState.Trigger:
      return EndState.Trigger;
    case EndState.TriggerSemicolon:
      return word === 'END' ? EndState.TriggerEnd : EndState.Trigger;
    case EndState.TriggerEnd:
      // `; END` followed by anything but `;` (say `END IF`, were there such a thing) is still the body.
      return EndState.Trigger;
  }
}

/** End (exclusive) of a quoted token opened at `start`; a doubled closing quote is part of it. */
function endOfQuoted(script: string, start: number, close: number): number {
  const closeCharacter = String.fromCharCode(close);
  let position = start + 1;
  for (;;) {
    const found = script.indexOf(closeCharacter, position);
    if (found === -1) return script.length;
    // `[...]` has no escape; the others double their quote.
    if (close !== 0x5d && script.charCodeAt(found + 1) === close) {
      position = found + 2;
      continue;
    }
    return found + 1;
  }
}

function countNewlines(script: string, start: number, end: number): number {
  let count = 0;
  for (let position = script.indexOf('\n', start); position !== -1 && position < end;) {
    count++;
    position = script.indexOf('\n', position + 1);
  }
  return count;
}

// SQLite's white space (the newline is handled by the caller, which counts lines).
function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0c || code === 0x0d || code === 0xfeff;
}

// Letters, digits, `_`, `$` and every non-ASCII character, as SQLite's IdChar(); numbers are read as
// words too, which is enough to find statement ends.
function isWordCharacter(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x5f ||
    code === 0x24 ||
    (code >= 0x80 && code !== 0xfeff)
  );
}
