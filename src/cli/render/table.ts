// `.mode table`, the default: a bordered grid, as in the project's README example.
//
//   +----+------+
//   | id | name |
//   +----+------+
//   | 1  | ming |
//   +----+------+
import type { RowsResult } from '../results.js';
import { cellLines, cellText, displayWidth, padToWidth } from './cell.js';

export function renderTable(result: RowsResult): string {
  const header = result.columns.map((column) => cellLines(column));
  const rows = result.values.map((row) => result.columns.map((_, index) => cellLines(cellText(row[index]))));
  const widths = result.columns.map((_, column) => {
    let width = 0;
    for (const cell of [header[column] ?? [], ...rows.map((row) => row[column] ?? [])]) {
      for (const line of cell) width = Math.max(width, displayWidth(line));
    }
    return width;
  });
  const border = `+${widths.map((width) => '-'.repeat(width + 2)).join('+')}+`;
  const out: string[] = [border];
  const pushRow = (cells: readonly (readonly string[])[]): void => {
    const height = Math.max(1, ...cells.map((cell) => cell.length));
    for (let line = 0; line < height; line += 1) {
      const parts = widths.map((width, column) => padToWidth(cells[column]?.[line] ?? '', width));
      out.push(`| ${parts.join(' | ')} |`);
    }
  };
  pushRow(header);
  out.push(border);
  for (const row of rows) pushRow(row);
  if (rows.length > 0) out.push(border);
  return `${out.join('\n')}\n`;
}
