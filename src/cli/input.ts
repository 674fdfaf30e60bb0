// The two ways lines reach the shell. On a terminal: prompts, line editing and history (node:readline),
// Ctrl-C to cancel, Ctrl-D to leave. From a pipe or file: plain lines, no prompts, and an unfinished last
// statement still runs at the end of input.
import readline from 'node:readline';
import type { HistorySettings } from './history.js';
import { loadHistory, saveHistory } from './history.js';
import { readLines } from './lines.js';
import type { Shell } from './shell.js';
import { LineFeeder } from './shell.js';

/** Lines kept for the up arrow during a session, whatever is saved between sessions. */
const sessionHistoryLinesMin = 1000;
const sessionHistoryLinesMax = 100_000;

export function continuationPrompt(prompt: string): string {
  // `...> ` lines up under the end of the main prompt, as in sqlite3.
  return `${' '.repeat(Math.max(0, prompt.length - 5))}...> `;
}

export interface InteractiveOptions {
  readonly input: NodeJS.ReadStream;
  readonly output: NodeJS.WriteStream;
  readonly history: HistorySettings;
  /** The main prompt now (it follows failover to another node). */
  readonly prompt: () => string;
}

export async function runInteractive(shell: Shell, options: InteractiveOptions): Promise<void> {
  let history = loadHistory(options.history);
  const rl = readline.createInterface({
    input: options.input,
    output: options.output,
    terminal: true,
    history,
    historySize: Math.min(sessionHistoryLinesMax, Math.max(options.history.linesMax, sessionHistoryLinesMin)),
    removeHistoryDuplicates: true,
    crlfDelay: Infinity,
    tabSize: 4,
  });
  rl.on('history', (lines: string[]) => {
    history = lines;
  });
  const feeder = new LineFeeder(shell);
  const showPrompt = (): void => {
    const main = options.prompt();
    rl.setPrompt(feeder.hasPending() ? continuationPrompt(main) : main);
    rl.prompt();
  };

  rl.on('SIGINT', () => {
    // While a command runs, Ctrl-C stops it (it then reports "interrupted"); at the prompt it throws
    // away the line being typed and any unfinished statement.
    if (shell.interrupt()) return;
    feeder.discardPending();
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    options.output.write('^C\n');
    showPrompt();
  });

  showPrompt();
  try {
    for await (const line of rl) {
      await feeder.line(line);
      if (shell.exitRequested) break;
      showPrompt();
    }
  } finally {
    rl.close();
    saveHistory(options.history, history);
  }
}

export async function runPiped(shell: Shell, input: AsyncIterable<string | Buffer>): Promise<void> {
  const feeder = new LineFeeder(shell);
  for await (const line of readLines(input)) {
    await feeder.line(line);
    if (shell.exitRequested) return;
  }
  await feeder.end();
}
