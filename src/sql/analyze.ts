// Facts about SQL text that decide how a statement is executed and how its result is shaped, read from
// its tokens so that words inside strings, quoted identifiers and comments do not count.
import { significantTokensByStatement } from './split.js';
import { afterExplain } from './statement-head.js';
import { isOperator, isWord } from './token.js';
import { tokenize } from './tokenize.js';

export interface StatementAnalysis {
  /** A statement has a RETURNING clause, so it returns rows even on the write path. */
  readonly returning: boolean;
  /** Every statement starts with EXPLAIN (or EXPLAIN QUERY PLAN): the text only reads. */
  readonly explain: boolean;
  /** There is no statement at all: only whitespace, comments and semicolons. */
  readonly empty: boolean;
}

/**
 * Analyzes one statement or several. RETURNING counts at the top level of a statement only: SQLite
 * allows it nowhere else, and a subquery cannot carry one.
 */
export function analyze(sql: string): StatementAnalysis {
  let statements = 0;
  let explained = 0;
  let returning = false;
  for (const significant of significantTokensByStatement(tokenize(sql))) {
    if (significant.length === 0) continue;
    statements++;
    if (afterExplain(significant) > 0) explained++;
    let depth = 0;
    for (const token of significant) {
      if (isOperator(token, '(')) depth++;
      else if (isOperator(token, ')')) depth = Math.max(0, depth - 1);
      else if (depth === 0 && isWord(token, 'returning')) returning = true;
    }
  }
  return { returning, explain: statements > 0 && explained === statements, empty: statements === 0 };
}
