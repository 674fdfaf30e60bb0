// The tokens of SQLite's SQL dialect, as SQLite's own tokenizer splits a statement. Every character of
// the input belongs to exactly one token, so joining the texts of the tokens gives back the input.

/**
 * The class of a token:
 * - `word`: a keyword or an unquoted identifier. SQLite lets most keywords serve as identifiers and
 *   decides by grammar position, so the tokenizer does not tell them apart;
 * - `quoted`: an identifier in `"..."`, `` `...` `` or `[...]` (a double-quoted one may still be read as
 *   a string by SQLite when it names no column);
 * - `string`: a string literal `'...'`;
 * - `blob`: a blob literal `x'0A1B'`;
 * - `number`: an integer or real literal (`12`, `0x1F`, `1.5e3`, `.5`, `1_000`);
 * - `variable`: a parameter (`?`, `?3`, `:name`, `@name`, `$name`, `#name`);
 * - `operator`: an operator or punctuation (`(`, `)`, `,`, `;`, `.`, `||`, `->>`, `<=`, ...);
 * - `comment`: `-- ...` up to the end of the line (newline excluded) or `/* ... *\/`;
 * - `whitespace`: spaces, tabs, line breaks, form feeds and a byte-order mark;
 * - `illegal`: what SQLite refuses: an unterminated string or quoted identifier, a malformed blob, a
 *   number run into letters (`12ab`), a lone `!`, or a character with no meaning in SQL (`\`, `^`, `{`).
 */
export type TokenKind =
  | 'word'
  | 'quoted'
  | 'string'
  | 'blob'
  | 'number'
  | 'variable'
  | 'operator'
  | 'comment'
  | 'whitespace'
  | 'illegal';

export interface Token {
  readonly kind: TokenKind;
  /** The exact source text: `sql.slice(start, end)`. */
  readonly text: string;
  /** Offset of the first character, in UTF-16 code units. */
  readonly start: number;
  /** Offset just past the last character. */
  readonly end: number;
}

/** Whitespace and comments separate tokens but mean nothing to SQLite's parser. */
export function isSignificant(token: Token): boolean {
  return token.kind !== 'whitespace' && token.kind !== 'comment';
}

/** True when the token is the unquoted word `word` (given in lower case), in any letter case. */
export function isWord(token: Token | undefined, word: string): boolean {
  return token !== undefined && token.kind === 'word' && token.text.toLowerCase() === word;
}

/** True when the token is the operator or punctuation `text`. */
export function isOperator(token: Token | undefined, text: string): boolean {
  return token !== undefined && token.kind === 'operator' && token.text === text;
}

/**
 * The name a token spells when SQLite reads it as a name: a word as written, a quoted identifier or a
 * string without its quotes (doubled quotes undone). Other tokens spell no name.
 */
export function nameOf(token: Token | undefined): string | undefined {
  if (token === undefined) return undefined;
  switch (token.kind) {
    case 'word':
      return token.text;
    case 'quoted': {
      const open = token.text[0];
      const inner = token.text.slice(1, -1);
      if (open === '[') return inner;
      return open === '"' ? inner.replaceAll('""', '"') : inner.replaceAll('``', '`');
    }
    case 'string':
      return token.text.slice(1, -1).replaceAll("''", "'");
    case 'blob':
    case 'number':
    case 'variable':
    case 'operator':
    case 'comment':
    case 'whitespace':
    case 'illegal':
      return undefined;
  }
}
