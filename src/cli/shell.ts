// The shell's core: it takes lines (typed, piped, or read from a `.read` file), runs dot-commands and
// complete SQL statements one at a time, prints errors, and remembers whether any command failed so that a
// script can exit non-zero. It knows nothing of terminals; input.ts feeds it.
import fs from 'node:fs';
import { findDotCommand } from './commands/registry.js';
import type { ShellContext } from './context.js';
import { isBareExit, parseDotLine } from './dot-line.js';
import { CommandError, fileError, isShellError } from './errors.js';
import type { NodeClient } from './http-client.js';
import type { TextSink } from './output.js';
import { ResultOutput } from './output.js';
import { readLines } from './lines.js';
import type { ProgressSink } from './progress.js';
import type { Settings } from './settings.js';
import { runStatement } from './sql-runner.js';
import { StatementBuffer, StatementTooLongError } from './statement-buffer.js';

/** `.read` may nest (a file reading a file), but not without end. */
const readDepthMax = 16;

export interface ShellIo {
  /** Standard output. */
  readonly stdout: TextSink;
  /** Standard error, where errors are printed. */
  readonly stderr: TextSink;
  /** Standard output seen as a terminal, for progress bars. */
  readonly terminal: ProgressSink;
  /** Colour the `Error:` label (standard error is a terminal and NO_COLOR is unset). */
  readonly colourErrors: boolean;
}

/** Feeds lines from one source (the user, a pipe, a file) into the shell with its own statement buffer. */
export class LineFeeder {
  private readonly buffer = new StatementBuffer();

  constructor(private readonly shell: Shell) {}

  /** True while a statement is incomplete (the prompt shows `...>`). */
  hasPending(): boolean {
    return this.buffer.hasPending();
  }

  /** Forgets the incomplete statement (Ctrl-C). */
  discardPending(): void {
    this.buffer.reset();
  }

  async line(text: string): Promise<void> {
    if (this.shell.exitRequested) return;
    if (!this.buffer.hasPending()) {
      const trimmed = text.trim();
      if (trimmed.startsWith('.')) {
        await this.shell.runDotLine(trimmed);
        return;
      }
      if (isBareExit(trimmed)) {
        this.shell.requestExit(undefined);
        return;
      }
    }
    let statements: string[];
    try {
      statements = this.buffer.push(text);
    } catch (error) {
      if (error instanceof StatementTooLongError) {
        this.shell.reportError(new CommandError(error.message));
        return;
      }
      throw error;
    }
    for (const statement of statements) {
      if (this.shell.exitRequested) return;
      await this.shell.runSql(statement);
    }
  }

  /** End of input: an unfinished statement is still run, as sqlite3 does (`echo "SELECT 1" | dust`). */
  async end(): Promise<void> {
    const rest = this.buffer.takeRemainder();
    if (rest !== undefined && !this.shell.exitRequested) await this.shell.runSql(rest);
  }
}

export class Shell {
  readonly results: ResultOutput;
  private failures = 0;
  private exitStatus: number | undefined;
  private exiting = false;
  private readDepth = 0;
  /** Controllers of the commands running now (a `.read` and the statement it runs); Ctrl-C aborts all. */
  private readonly running = new Set<AbortController>();

  constructor(
    readonly client: NodeClient,
    readonly settings: Settings,
    private readonly io: ShellIo,
    readonly version: string,
  ) {
    this.results = new ResultOutput(io.stdout);
  }

  get exitRequested(): boolean {
    return this.exiting;
  }

  /** How many commands and statements failed. */
  get failureCount(): number {
    return this.failures;
  }

  /** The status `.exit CODE` asked for, if any. */
  get requestedExitStatus(): number | undefined {
    return this.exitStatus;
  }

  requestExit(status: number | undefined): void {
    this.exiting = true;
    this.exitStatus = status;
  }

  /** Interrupts the running command (Ctrl-C). Returns false when nothing was running. */
  interrupt(): boolean {
    if (this.running.size === 0) return false;
    for (const controller of this.running) controller.abort();
    return true;
  }

  get isBusy(): boolean {
    return this.running.size > 0;
  }

  async runSql(statement: string): Promise<void> {
    await this.guard((context) => runStatement(context, statement));
  }

  async runDotLine(line: string): Promise<void> {
    await this.guard(async (context) => {
      const { name, args } = parseDotLine(line);
      const command = findDotCommand(name);
      if (command === undefined) {
        throw new CommandError(`unknown command ".${name}"; enter ".help" for the list of commands`);
      }
      await command.run(context, args);
    });
  }

  /** Prints a shell error and counts it. Anything else is a bug and is rethrown. */
  reportError(error: unknown): void {
    if (!isShellError(error)) throw error;
    this.failures += 1;
    const label = this.io.colourErrors ? '\u001b[31mError:\u001b[0m' : 'Error:';
    this.io.stderr.write(`${label} ${error.message}\n`);
  }

  close(): void {
    this.results.close();
    this.client.close();
  }

  private async runFile(file: string, signal: AbortSignal): Promise<void> {
    if (this.readDepth >= readDepthMax)
      throw new CommandError(`.read nested deeper than ${readDepthMax} files`);
    let stream: fs.ReadStream;
    try {
      const descriptor = fs.openSync(file, 'r');
      if (!fs.fstatSync(descriptor).isFile()) {
        fs.closeSync(descriptor);
        throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
      }
      stream = fs.createReadStream(file, { fd: descriptor, encoding: 'utf8' });
    } catch (error) {
      throw fileError('read', file, error);
    }
    const feeder = new LineFeeder(this);
    this.readDepth += 1;
    try {
      for await (const line of readLines(stream)) {
        if (this.exiting || signal.aborted) break;
        await feeder.line(line);
      }
      if (!this.exiting && !signal.aborted) await feeder.end();
    } catch (error) {
      const isSystemError = typeof (error as { code?: unknown }).code === 'string';
      if (isShellError(error) || !isSystemError) throw error;
      throw fileError('read', file, error);
    } finally {
      this.readDepth -= 1;
      stream.destroy();
    }
  }

  private async guard(work: (context: ShellContext) => Promise<void>): Promise<void> {
    const abort = new AbortController();
    this.running.add(abort);
    const context: ShellContext = {
      client: this.client,
      settings: this.settings,
      results: this.results,
      messages: this.io.stdout,
      terminal: this.io.terminal,
      signal: abort.signal,
      runFile: (file) => this.runFile(file, abort.signal),
      requestExit: (status) => this.requestExit(status),
      version: this.version,
    };
    try {
      await work(context);
    } catch (error) {
      this.reportError(error);
    } finally {
      this.running.delete(abort);
    }
  }
}
