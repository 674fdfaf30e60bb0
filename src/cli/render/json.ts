// `.mode json`: a JSON array with one object per row, one row per line (sqlite3's layout), so that the
// output is valid JSON for a program and still readable for a person. Integers beyond 2^53 are written
// exactly.
import { stringifyJson } from '../json-value.js';
import type { RowsResult } from '../results.js';

export function renderJson(result: RowsResult): string {
  if (result.values.length === 0) return '[]\n';
  const rows = result.values.map((row) => {
    const fields = result.columns.map(
      (column, index) => `${JSON.stringify(column)}:${stringifyJson(row[index] ?? null)}`,
    );
    return `{${fields.join(',')}}`;
  });
  return `[${rows.join(',\n')}]\n`;
}
