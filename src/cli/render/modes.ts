// The output modes and their renderers. The table is exhaustive over OutputMode, so a new mode does not
// compile until it has a renderer.
import type { RowsResult } from '../results.js';
import { renderColumn } from './column.js';
import { renderCsv } from './csv.js';
import { renderJson } from './json.js';
import { renderLine } from './line.js';
import { renderTable } from './table.js';

export const outputModes = ['column', 'csv', 'json', 'line', 'table'] as const;
export type OutputMode = (typeof outputModes)[number];

const renderers: Readonly<Record<OutputMode, (result: RowsResult) => string>> = {
  column: renderColumn,
  csv: renderCsv,
  json: renderJson,
  line: renderLine,
  table: renderTable,
};

export function isOutputMode(text: string): text is OutputMode {
  return (outputModes as readonly string[]).includes(text);
}

export function renderRows(result: RowsResult, mode: OutputMode): string {
  return renderers[mode](result);
}
