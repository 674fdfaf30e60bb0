// `.mode line`: one `name = value` per line, names right-aligned, a blank line between rows.
import type { RowsResult } from '../results.js';
import { cellText, displayWidth } from './cell.js';

export function renderLine(result: RowsResult): string {
  const width = Math.max(0, ...result.columns.map(displayWidth));
  const blocks = result.values.map((row) =>
    result.columns
      .map(
        (column, index) => `${' '.repeat(width - displayWidth(column))}${column} = ${cellText(row[index])}`,
      )
      .join('\n'),
  );
  return blocks.length === 0 ? '' : `${blocks.join('\n\n')}\n`;
}
