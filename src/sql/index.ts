// SQL text tools: a SQLite tokenizer and what is built on it — the rewriter that makes statements
// deterministic before they are replicated, the statement classifiers and the statement splitter.
// Everything here is pure: clock and randomness come in as options.
export type { Token, TokenKind } from './token.js';
export { tokenize } from './tokenize.js';
export type { RewriteOptions, RewriteResult } from './rewrite.js';
export { rewrite } from './rewrite.js';
export type { StatementAnalysis } from './analyze.js';
export { analyze } from './analyze.js';
export { disallowedPragma } from './pragma.js';
export { splitStatements } from './split.js';
export type { SqlToolSet } from './memo.js';
export { memoizedSqlTools } from './memo.js';
