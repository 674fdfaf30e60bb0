// Persistent line history in ~/.dust_history, newest line last in the file. Its size is bounded by
// DUST_HISTFILESIZE (default 100 lines, 0 keeps no history at all), like RQLITE_HISTFILESIZE.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const historyFileName = '.dust_history';
export const defaultHistoryLines = 100;
const historyLinesMax = 100_000;
/** A history file larger than this is not ours to read whole; it is ignored. */
const historyFileBytesMax = 16 * 1024 * 1024;
/** Very long lines (pasted dumps) are not worth recalling and would bloat the file. */
const historyLineCharsMax = 64 * 1024;

export interface HistorySettings {
  readonly file: string;
  readonly linesMax: number;
}

/** Reads DUST_HISTFILESIZE: a whole number of lines; anything else falls back to the default. */
export function historySettings(env: Readonly<Record<string, string | undefined>>): HistorySettings {
  const text = env.DUST_HISTFILESIZE?.trim();
  let linesMax = defaultHistoryLines;
  if (text !== undefined && /^\d+$/.test(text)) linesMax = Math.min(Number(text), historyLinesMax);
  return { file: path.join(os.homedir(), historyFileName), linesMax };
}

/** Lines from the history file, newest first (the order node:readline wants). */
export function loadHistory(settings: HistorySettings): string[] {
  if (settings.linesMax === 0) return [];
  let text: string;
  try {
    const stats = fs.statSync(settings.file);
    if (!stats.isFile() || stats.size > historyFileBytesMax) return [];
    text = fs.readFileSync(settings.file, 'utf8');
  } catch {
    return []; // no history yet, or unreadable: start afresh rather than refuse to start
  }
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.slice(-settings.linesMax).reverse();
}

/** Writes the newest lines (given newest first) atomically; failures are ignored, history is a comfort. */
export function saveHistory(settings: HistorySettings, newestFirst: readonly string[]): void {
  if (settings.linesMax === 0) return;
  const kept = newestFirst
    .filter((line) => line.trim() !== '' && line.length <= historyLineCharsMax)
    .slice(0, settings.linesMax)
    .reverse();
  const temporary = `${settings.file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, kept.length === 0 ? '' : `${kept.join('\n')}\n`, { mode: 0o600 });
    fs.renameSync(temporary, settings.file);
  } catch {
    try {
      fs.rmSync(temporary, { force: true });
    } catch {
      // nothing more to do
    }
  }
}
