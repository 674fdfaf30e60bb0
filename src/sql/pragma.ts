// PRAGMAs that would change how the node keeps its database durable and consistent, and that a client
// must therefore not run: rqlite refuses the same ones.
import { significantTokensByStatement } from './split.js';
import { afterExplain } from './statement-head.js';
import { isOperator, isWord, nameOf } from './token.js';
import { tokenize } from './tokenize.js';

/** Refused when they set a value: `PRAGMA name = value` or `PRAGMA name(value)`. Reading them is fine. */
const refusedSetters = new Set(['journal_mode', 'wal_autocheckpoint', 'synchronous', 'query_only']);
/** Refused in every form, because even reading it runs a checkpoint. */
const refusedAlways = new Set(['wal_checkpoint']);

/**
 * The name (lower case) of the first disallowed PRAGMA among the statements of `sql`, or undefined when
 * there is none. Matches rqlite's rule (`PRAGMA [schema.]name =`) and more that it misses but SQLite
 * accepts as the same command: the call form `name(value)`, `==`, a quoted name, comments instead of
 * spaces, and an EXPLAIN in front (SQLite applies these settings while preparing the statement, so even
 * EXPLAIN changes them).
 */
export function disallowedPragma(sql: string): string | undefined {
  for (const significant of significantTokensByStatement(tokenize(sql))) {
    let index = afterExplain(significant);
    if (!isWord(significant[index], 'pragma')) continue;
    index++;
    let name = nameOf(significant[index]);
    if (isOperator(significant[index + 1], '.')) {
      index += 2;
      name = nameOf(significant[index]);
    }
    const pragma = name?.toLowerCase();
    if (pragma === undefined) continue;
    if (refusedAlways.has(pragma)) return pragma;
    const after = significant[index + 1];
    if (
      refusedSetters.has(pragma) &&
      (isOperator(after, '=') || isOperator(after, '==') || isOperator(after, '('))
    ) {
      return pragma;
    }
  }
  return undefined;
}
