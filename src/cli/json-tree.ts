// Diagnostic documents (`/status`, `/debug/vars`, `/nodes`) are deep JSON objects. The shell prints them
// as an indented `key: value` outline with sorted keys, which reads better than raw JSON and is easy to grep.
import type { JsonValue } from './json-value.js';
import { isJsonArray, isJsonObject, stringifyJson } from './json-value.js';

const indentUnit = '  ';
const outlineDepthMax = 64;

function scalarText(value: JsonValue): string {
  return typeof value === 'string' ? value : stringifyJson(value);
}

function isScalar(value: JsonValue): boolean {
  return !isJsonArray(value) && !isJsonObject(value);
}

function writeEntries(lines: string[], value: JsonValue, depth: number): void {
  const indent = indentUnit.repeat(depth);
  if (depth > outlineDepthMax) {
    lines.push(`${indent}${stringifyJson(value)}`);
    return;
  }
  if (isJsonObject(value)) {
    for (const key of Object.keys(value).sort()) writeKey(lines, key, value[key] ?? null, depth);
    return;
  }
  if (isJsonArray(value)) {
    for (const item of value) {
      if (isScalar(item)) {
        lines.push(`${indent}- ${scalarText(item)}`);
        continue;
      }
      const nested: string[] = [];
      writeEntries(nested, item, depth + 1);
      const first = nested[0];
      if (first === undefined) {
        lines.push(`${indent}- ${stringifyJson(item)}`);
        continue;
      }
      lines.push(`${indent}- ${first.slice(indent.length + indentUnit.length)}`, ...nested.slice(1));
    }
    return;
  }
  lines.push(`${indent}${scalarText(value)}`);
}

function writeKey(lines: string[], key: string, value: JsonValue, depth: number): void {
  const indent = indentUnit.repeat(depth);
  const isEmptyContainer =
    (isJsonObject(value) && Object.keys(value).length === 0) || (isJsonArray(value) && value.length === 0);
  if (isScalar(value) || isEmptyContainer) {
    lines.push(`${indent}${key}: ${scalarText(value)}`);
    return;
  }
  if (isJsonArray(value) && value.every(isScalar)) {
    lines.push(`${indent}${key}: ${value.map(scalarText).join(', ')}`);
    return;
  }
  lines.push(`${indent}${key}:`);
  writeEntries(lines, value, depth + 1);
}

/** The outline of a JSON value, one line per leaf, ending with a newline. */
export function renderOutline(value: JsonValue): string {
  const lines: string[] = [];
  writeEntries(lines, value, 0);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Follows a dotted path (`store.raft.state`) into a document; undefined when a step is missing. */
export function selectPath(value: JsonValue, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = value;
  for (const step of path.split('.')) {
    if (step === '') continue;
    if (!isJsonObject(current)) return undefined;
    current = current[step];
  }
  return current;
}
