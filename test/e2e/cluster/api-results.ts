// Reading the answers of the rqlite-compatible API: whether a write took effect, and the rows of a query.
import { type HttpOutcome, describeOutcome } from './node-http.js';

/**
 * What a client may conclude from the answer to a write.
 * `ok`: every statement succeeded. `failed`: the write certainly did not take effect (the request never
 * reached a node, no leader was known, or the statements themselves failed). `unknown`: anything else, such
 * as a timeout or a request-level error, after which the write may still be committed.
 */
export type WriteVerdict =
  | { readonly kind: 'ok'; readonly rowsAffected: readonly number[] }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'unknown'; readonly reason: string };

interface StatementResult {
  readonly error?: unknown;
  readonly rows_affected?: unknown;
  readonly values?: unknown;
}

function resultsOf(json: unknown): readonly StatementResult[] | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const results = (json as { results?: unknown }).results;
  if (!Array.isArray(results)) return undefined;
  if (!results.every((result) => result !== null && typeof result === 'object')) return undefined;
  return results as readonly StatementResult[];
}

function requestError(json: unknown): string | undefined {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const error = (json as { error?: unknown }).error;
  return typeof error === 'string' ? error : undefined;
}

export function judgeWrite(outcome: HttpOutcome, statementCount: number): WriteVerdict {
  switch (outcome.kind) {
    case 'refused':
      return { kind: 'failed', reason: describeOutcome(outcome) };
    case 'lost':
      return { kind: 'unknown', reason: describeOutcome(outcome) };
    case 'answered':
      break;
    default: {
      const unexpected: never = outcome;
      throw new Error(`unknown outcome ${JSON.stringify(unexpected)}`);
    }
  }
  // 503 is "leader not found": the node did not pass the write on to anyone.
  if (outcome.status === 503) return { kind: 'failed', reason: describeOutcome(outcome) };
  if (outcome.status !== 200) return { kind: 'unknown', reason: describeOutcome(outcome) };
  const error = requestError(outcome.json);
  const results = resultsOf(outcome.json);
  if (error !== undefined || results === undefined || results.length !== statementCount) {
    return { kind: 'unknown', reason: describeOutcome(outcome) };
  }
  // A statement error comes from SQLite at apply time: the entry was applied and changed nothing.
  if (results.some((result) => result.error !== undefined)) {
    return { kind: 'failed', reason: describeOutcome(outcome) };
  }
  return {
    kind: 'ok',
    rowsAffected: results.map((result) =>
      typeof result.rows_affected === 'number' ? result.rows_affected : 0,
    ),
  };
}

/** The rows of the first query result, or the reason there are none to read. */
export type QueryVerdict =
  | { readonly kind: 'rows'; readonly rows: readonly (readonly unknown[])[] }
  | { readonly kind: 'error'; readonly reason: string };

export function judgeQuery(outcome: HttpOutcome): QueryVerdict {
  if (outcome.kind !== 'answered' || outcome.status !== 200) {
    return { kind: 'error', reason: describeOutcome(outcome) };
  }
  const error = requestError(outcome.json);
  const results = resultsOf(outcome.json);
  const first = results?.[0];
  if (error !== undefined || first === undefined || first.error !== undefined) {
    return { kind: 'error', reason: describeOutcome(outcome) };
  }
  // The API leaves `values` out when there are no rows.
  if (first.values === undefined) return { kind: 'rows', rows: [] };
  if (!Array.isArray(first.values) || !first.values.every((row) => Array.isArray(row))) {
    return { kind: 'error', reason: `malformed rows: ${describeOutcome(outcome)}` };
  }
  return { kind: 'rows', rows: first.values as readonly (readonly unknown[])[] };
}
