// Driving the shell through a pseudo-terminal, as a person would: `script` (util-linux) gives the shell a
// terminal, the test types keystrokes into it and reads what the terminal shows.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { shellCommand } from './processes.js';

export const terminalAvailable =
  process.platform === 'linux' && spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

const escapeCharacter = String.fromCharCode(0x1b);
const controlSequence = new RegExp(`${escapeCharacter}(\\[[0-9;?]*[A-Za-z]|[()][A-Za-z0-9])`, 'g');

/** Removes terminal control sequences and carriage returns, leaving the text a person would read. */
export function visibleText(raw: string): string {
  return raw.replace(controlSequence, '').replace(/\r/g, '');
}

export const keys = {
  enter: '\r',
  ctrlC: '\u0003',
  ctrlD: '\u0004',
  up: '\u001b[A',
} as const;

export class TerminalSession {
  private raw = '';
  private searchFrom = 0;
  private readonly child: ChildProcessWithoutNullStreams;
  private exitStatus: number | null | undefined;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string) {
    const command = [process.execPath, ...shellCommand, ...args].map(shellQuote).join(' ');
    this.child = spawn('script', ['-qfec', `stty cols 160 rows 40; exec ${command}`, '/dev/null'], {
      env: { ...env, TERM: 'xterm' },
      cwd,
    });
    this.child.stdout.setEncoding('utf8').on('data', (text: string) => (this.raw += text));
    this.child.stderr.setEncoding('utf8').on('data', (text: string) => (this.raw += text));
    this.child.on('exit', (status) => {
      this.exitStatus = status;
    });
  }

  /** Everything the terminal showed so far, control sequences included. */
  get rawOutput(): string {
    return this.raw;
  }

  get text(): string {
    return visibleText(this.raw);
  }

  type(keystrokes: string): void {
    this.child.stdin.write(keystrokes);
  }

  /** Waits until the text shown after the previous match contains `pattern`; returns the text up to it. */
  async waitFor(pattern: string | RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.text;
      const rest = text.slice(this.searchFrom);
      const index = typeof pattern === 'string' ? rest.indexOf(pattern) : rest.search(pattern);
      if (index !== -1) {
        const length =
          typeof pattern === 'string' ? pattern.length : (rest.slice(index).match(pattern)?.[0].length ?? 0);
        const seen = rest.slice(0, index + length);
        this.searchFrom += index + length;
        return seen;
      }
      if (Date.now() > deadline) {
        throw new Error(`terminal never showed ${String(pattern)}; it shows:\n${rest}`);
      }
      if (this.exitStatus !== undefined) {
        throw new Error(
          `the shell exited (${String(this.exitStatus)}) before showing ${String(pattern)}:\n${rest}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Waits for the shell to exit; kills it (by PID) if it does not. */
  async exit(timeoutMs = 10_000): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.exitStatus === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    if (this.exitStatus === undefined) {
      this.kill();
      throw new Error(`the shell did not exit within ${timeoutMs} ms:\n${this.text}`);
    }
    this.child.stdin.end();
    return this.exitStatus;
  }

  kill(): void {
    if (this.exitStatus === undefined && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
