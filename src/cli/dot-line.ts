// Reading a dot-command line: `.name arg1 'arg two' "arg three"`. Quotes group words containing spaces
// (file names); there are no escapes, as in sqlite3.
import { CommandError } from './errors.js';

export interface DotLine {
  /** Lower-cased name without the dot. */
  readonly name: string;
  readonly args: readonly string[];
}

const argumentsCountMax = 64;

export function parseDotLine(line: string): DotLine {
  const text = line.trim();
  if (!text.startsWith('.')) throw new Error(`not a dot-command line: ${text}`);
  const words: string[] = [];
  let index = 1;
  while (index < text.length) {
    const char = text[index] ?? '';
    if (/\s/.test(char)) {
      index += 1;
      continue;
    }
    if (words.length >= argumentsCountMax + 1)
      throw new CommandError(`too many arguments (at most ${argumentsCountMax})`);
    if (char === "'" || char === '"') {
      const close = text.indexOf(char, index + 1);
      if (close === -1) throw new CommandError(`unterminated ${char} in command arguments`);
      words.push(text.slice(index + 1, close));
      index = close + 1;
      continue;
    }
    let end = index;
    while (end < text.length && !/\s/.test(text[end] ?? '')) end += 1;
    words.push(text.slice(index, end));
    index = end;
  }
  const [name = '', ...args] = words;
  return { name: name.toLowerCase(), args };
}

/** `quit` and `exit` work without the dot, as in the rqlite shell. */
export function isBareExit(line: string): boolean {
  const word = line.trim().replace(/;$/, '').trim().toLowerCase();
  return word === 'exit' || word === 'quit';
}
