// `.mode csv`: RFC 4180 fields, a header line first. NULL is an empty field, as sqlite3 writes it.
import type { JsonValue } from '../json-value.js';
import { stringifyJson } from '../json-value.js';
import type { RowsResult } from '../results.js';

export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function fieldText(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return stringifyJson(value);
  return String(value);
}

export function renderCsv(result: RowsResult): string {
  const lines = [result.columns.map(csvField).join(',')];
  for (const row of result.values) {
    lines.push(result.columns.map((_, index) => csvField(fieldText(row[index]))).join(','));
  }
  return `${lines.join('\n')}\n`;
}
