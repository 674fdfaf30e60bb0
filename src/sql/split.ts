// Where one statement ends and the next begins. A `;` ends a statement, except inside the body of a
// CREATE TRIGGER, which holds statements of its own and ends at `; END ;`. The states and transitions
// are those of SQLite's sqlite3_complete(), which answers the same question for SQLite's shell.
import { tokenize } from './tokenize.js';
import type { Token } from './token.js';
import { isOperator, isSignificant } from './token.js';

/** One statement as a range of token indices, `[first, end)`, without its terminating `;`. */
export interface StatementSpan {
  readonly first: number;
  readonly end: number;
}

const enum State {
  /** Nothing but whitespace and comments seen yet. */
  Invalid,
  /** Just after a statement's terminating semicolon. */
  Start,
  /** Inside a statement that a single semicolon ends. */
  Normal,
  /** After a leading EXPLAIN (and QUERY PLAN). */
  Explain,
  /** After a leading CREATE, possibly followed by TEMP or TEMPORARY. */
  Create,
  /** Inside a trigger body, which only `; END ;` ends. */
  Trigger,
  /** After a semicolon inside a trigger body. */
  TriggerSemicolon,
  /** After `; END` inside a trigger body. */
  TriggerEnd,
}

const enum Input {
  Semicolon,
  Space,
  Other,
  Explain,
  Create,
  Temp,
  Trigger,
  End,
}

// transitions[state][input] is the next state.
const transitions: readonly (readonly State[])[] = [
  /* Invalid          */ [
    State.Start,
    State.Invalid,
    State.Normal,
    State.Explain,
    State.Create,
    State.Normal,
    State.Normal,
    State.Normal,
  ],
  /* Start            */ [
    State.Start,
    State.Start,
    State.Normal,
    State.Explain,
    State.Create,
    State.Normal,
    State.Normal,
    State.Normal,
  ],
  /* Normal           */ [
    State.Start,
    State.Normal,
    State.Normal,
    State.Normal,
    State.Normal,
    State.Normal,
    State.Normal,
    State.Normal,
  ],
  /* Explain          */ [
    State.Start,
    State.Explain,
    State.Explain,
    State.Normal,
    State.Create,
    State.Normal,
    State.Normal,
    State.Normal,
  ],
  /* Create           */ [
    State.Start,
    State.Create,
    State.Normal,
    State.Normal,
    State.Normal,
    State.Create,
    State.Trigger,
    State.Normal,
  ],
  /* Trigger          */ [
    State.TriggerSemicolon,
    State.Trigger,
    State.Trigger,
    State.Trigger,
    State.Trigger,
    State.Trigger,
    State.Trigger,
    State.Trigger,
  ],
  /* TriggerSemicolon */ [
    State.TriggerSemicolon,
    State.TriggerSemicolon,
    State.Trigger,
    State.Trigger,
    State.Trigger,
    State.Trigger,
    State.Trigger,
    State.TriggerEnd,
  ],
  /* TriggerEnd       */ [
    State.Start,
    State.TriggerEnd,
    State.Trigger,
    State.Trigger,
    State.Trigger,
    State.Trigger,
    State.Trigger,
    State.Trigger,
  ],
];

function inputOf(token: Token): Input {
  switch (token.kind) {
    case 'whitespace':
    case 'comment':
      return Input.Space;
    case 'operator':
      return token.text === ';' ? Input.Semicolon : Input.Other;
    case 'word':
      switch (token.text.toLowerCase()) {
        case 'explain':
          return Input.Explain;
        case 'create':
          return Input.Create;
        case 'temp':
        case 'temporary':
          return Input.Temp;
        case 'trigger':
          return Input.Trigger;
        case 'end':
          return Input.End;
        default:
          return Input.Other;
      }
    case 'quoted':
    case 'string':
    case 'blob':
    case 'number':
    case 'variable':
    case 'illegal':
      return Input.Other;
  }
}

/**
 * The statements of a token list, in order. Together with the terminating semicolons they cover every
 * token. A span may hold only whitespace and comments (`SELECT 1;;` has an empty second statement).
 */
export function statementSpans(tokens: readonly Token[]): StatementSpan[] {
  const spans: StatementSpan[] = [];
  let state = State.Invalid;
  let first = 0;
  tokens.forEach((token, index) => {
    const nextState = transitions[state]?.[inputOf(token)];
    if (nextState === undefined) throw new Error(`statement splitter has no transition from state ${state}`);
    state = nextState;
    if (state === State.Start && isOperator(token, ';')) {
      spans.push({ first, end: index });
      first = index + 1;
    }
  });
  if (first < tokens.length) spans.push({ first, end: tokens.length });
  return spans;
}

/**
 * Splits a string of several statements into its statements, keeping a CREATE TRIGGER with the
 * statements of its body together. Each statement comes back without its terminating semicolon and
 * without surrounding whitespace; statements with nothing but whitespace and comments are dropped.
 */
export function splitStatements(sql: string): string[] {
  const tokens = tokenize(sql);
  const statements: string[] = [];
  for (const span of statementSpans(tokens)) {
    let first = span.first;
    let end = span.end;
    while (first < end && tokens[first]?.kind === 'whitespace') first++;
    while (end > first && tokens[end - 1]?.kind === 'whitespace') end--;
    const body = tokens.slice(first, end);
    if (body.some(isSignificant)) {
      statements.push(body.map((token) => token.text).join(''));
    }
  }
  return statements;
}

/** The significant tokens (no whitespace, no comments) of each statement, in order. */
export function significantTokensByStatement(tokens: readonly Token[]): Token[][] {
  return statementSpans(tokens).map((span) => tokens.slice(span.first, span.end).filter(isSignificant));
}
