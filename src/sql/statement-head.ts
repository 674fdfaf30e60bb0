// What a statement is, read from its first significant tokens.
import type { Token } from './token.js';
import { isOperator, isWord, nameOf } from './token.js';

/** The index of the first token after a leading `EXPLAIN` or `EXPLAIN QUERY PLAN`. */
export function afterExplain(significant: readonly Token[]): number {
  if (!isWord(significant[0], 'explain')) return 0;
  return isWord(significant[1], 'query') && isWord(significant[2], 'plan') ? 3 : 1;
}

/** Statements whose expressions SQLite evaluates once, while the statement runs. */
const evaluatingStatements = new Set([
  'select',
  'values',
  'with',
  'insert',
  'replace',
  'update',
  'delete',
  'attach',
  'vacuum',
]);

/**
 * Where in a statement's significant tokens the expressions evaluated when it runs begin, or undefined
 * when it has none that may be rewritten.
 *
 * Schema statements (CREATE TABLE with column definitions, CREATE VIEW, TRIGGER and INDEX, ALTER TABLE)
 * store their expressions to be evaluated later, per row or per firing: a DEFAULT, a CHECK, a view's
 * SELECT, a trigger's body. Freezing them into literals would change what the schema means, so they
 * are left as written. `CREATE TABLE ... AS SELECT` runs its SELECT once, so that part is rewritable.
 * PRAGMA, DROP, BEGIN and the like evaluate no expression worth rewriting, and their arguments are names
 * (`PRAGMA table_info(current_date)` names a table), so they are left alone too.
 */
export function rewritableStart(significant: readonly Token[]): number | undefined {
  const head = afterExplain(significant);
  const first = significant[head];
  if (first?.kind !== 'word') return undefined;
  const keyword = first.text.toLowerCase();
  if (evaluatingStatements.has(keyword)) return head;
  if (keyword !== 'create') return undefined;
  let index = head + 1;
  if (isWord(significant[index], 'temp') || isWord(significant[index], 'temporary')) index++;
  if (!isWord(significant[index], 'table')) return undefined;
  index++;
  if (
    isWord(significant[index], 'if') &&
    isWord(significant[index + 1], 'not') &&
    isWord(significant[index + 2], 'exists')
  ) {
    index += 3;
  }
  if (nameOf(significant[index]) === undefined) return undefined;
  index++;
  if (isOperator(significant[index], '.')) {
    if (nameOf(significant[index + 1]) === undefined) return undefined;
    index += 2;
  }
  return isWord(significant[index], 'as') ? index + 1 : undefined;
}
