// How one value looks in a text cell, and how wide it is on a terminal.
import type { JsonValue } from '../json-value.js';
import { stringifyJson } from '../json-value.js';

/** NULL is spelled out so that it cannot be mistaken for an empty string. */
export const nullText = 'NULL';

/**
 * The text of a value for the aligned modes (table, column, line). Blobs arrive as base64 strings, or as
 * lists of byte values with `.blobarray on`; both are shown as the node sent them.
 */
export function cellText(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return nullText;
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return stringifyJson(value);
  return String(value);
}

/**
 * Splits a cell into the lines it occupies. Tabs become spaces and other control characters become `?`,
 * because either would break the alignment of the columns.
 */
export function cellLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/).map(visibleLine);
}

function visibleLine(line: string): string {
  let result = '';
  for (const char of line) {
    const code = char.charCodeAt(0);
    if (char === '\t') result += '    ';
    else if (code < 0x20 || code === 0x7f) result += '?';
    else result += char;
  }
  return result;
}

function isZeroWidth(code: number): boolean {
  return (
    (code >= 0x0300 && code <= 0x036f) ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0xfe00 && code <= 0xfe0f) ||
    (code >= 0x20d0 && code <= 0x20ff)
  );
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

/** Columns a string takes on a terminal: CJK and emoji take two, combining marks none. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (isZeroWidth(code)) continue;
    width += isWide(code) ? 2 : 1;
  }
  return width;
}

export function padToWidth(text: string, width: number): string {
  const missing = width - displayWidth(text);
  return missing > 0 ? text + ' '.repeat(missing) : text;
}
