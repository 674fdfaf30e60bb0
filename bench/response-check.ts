// Whether a response is the one the benchmark asked for. A server that answers quickly but wrongly must
// not look fast, so every body is read and checked: rqlite-style APIs answer many failures with status 200
// and an "error" inside the body, at the top level or per statement.

/** What a benchmark request expects back. */
export type ResponseExpectation =
  /** A write of `statements` statements, each changing exactly one row. */
  | { readonly kind: 'execute'; readonly statements: number }
  /** Statements that change no rows (such as CREATE TABLE) and must not fail. */
  | { readonly kind: 'no-errors'; readonly statements: number }
  /** A query whose one result has exactly one row whose first column is `value`. */
  | { readonly kind: 'single-row'; readonly value: string };

/** How many characters of a wrong body a failure reason quotes. */
const quotedBodyCharsMax = 160;

function quote(body: string): string {
  return body.length <= quotedBodyCharsMax ? body : `${body.slice(0, quotedBodyCharsMax)}…`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkExecuteResults(
  results: readonly unknown[],
  statements: number,
  rowsEach: number | undefined,
): string | undefined {
  if (results.length !== statements) {
    return `expected ${statements} results, got ${results.length}`;
  }
  for (const [index, result] of results.entries()) {
    if (!isRecord(result)) return `result ${index} is not an object`;
    if (result['error'] !== undefined) return `statement ${index} failed: ${JSON.stringify(result['error'])}`;
    if (rowsEach !== undefined && result['rows_affected'] !== rowsEach) {
      return `statement ${index} changed ${JSON.stringify(result['rows_affected'])} rows, expected ${rowsEach}`;
    }
  }
  return undefined;
}

function checkSingleRow(results: readonly unknown[], value: string): string | undefined {
  const [result] = results;
  if (results.length !== 1 || !isRecord(result)) return `expected 1 result, got ${results.length}`;
  if (result['error'] !== undefined) return `query failed: ${JSON.stringify(result['error'])}`;
  const rows = result['values'];
  if (!Array.isArray(rows) || rows.length !== 1) {
    return `expected 1 row, got ${Array.isArray(rows) ? rows.length : 'none'}`;
  }
  const [row] = rows as unknown[];
  const first: unknown = Array.isArray(row) ? (row as unknown[])[0] : undefined;
  if (first !== value) return `expected the value ${JSON.stringify(value)}, got ${JSON.stringify(first)}`;
  return undefined;
}

/**
 * Checks one response against what its request expected. Returns undefined when it is right, or a
 * sentence saying what is wrong, quoting the body where that helps.
 */
export function checkResponse(
  expectation: ResponseExpectation,
  statusCode: number,
  body: string,
): string | undefined {
  if (statusCode !== 200) return `HTTP ${statusCode}: ${quote(body)}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `the body is not JSON: ${quote(body)}`;
  }
  if (!isRecord(parsed)) return `the body is not a JSON object: ${quote(body)}`;
  if (parsed['error'] !== undefined) return `the request failed: ${quote(body)}`;
  const results = parsed['results'];
  if (!Array.isArray(results)) return `the body has no "results" array: ${quote(body)}`;
  switch (expectation.kind) {
    case 'execute':
      return checkExecuteResults(results, expectation.statements, 1);
    case 'no-errors':
      return checkExecuteResults(results, expectation.statements, undefined);
    case 'single-row':
      return checkSingleRow(results, expectation.value);
  }
}
