// `.mode column`: aligned columns without borders, with a dashed rule under the names (sqlite3's habit).
//
//   id  name
//   --  ----
//   1   ming
import type { RowsResult } from '../results.js';
import { cellLines, cellText, displayWidth, padToWidth } from './cell.js';

export function renderColumn(result: RowsResult): string {
  const header = result.columns.map((column) => cellLines(column));
  const rows = result.values.map((row) => result.columns.map((_, index) => cellLines(cellText(row[index]))));
  const widths = result.columns.map((_, column) => {
    let width = 1;
    for (const cell of [header[column] ?? [], ...rows.map((row) => row[column] ?? [])]) {
      for (const line of cell) width = Math.max(width, displayWidth(line));
    }
    return width;
  });
  const out: string[] = [];
  const pushRow = (cells: readonly (readonly string[])[]): void => {
    const height = Math.max(1, ...cells.map((cell) => cell.length));
    for (let line = 0; line < height; line += 1) {
      const parts = widths.map((width, column) => padToWidth(cells[column]?.[line] ?? '', width));
      out.push(parts.join('  ').trimEnd());
    }
  };
  pushRow(header);
  out.push(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) pushRow(row);
  return `${out.join('\n')}\n`;
}
