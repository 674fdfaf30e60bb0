// What a dot-command may use. Commands receive this narrow view rather than the whole shell, so each can
// be read (and tested) on its own.
import type { NodeClient } from './http-client.js';
import type { ResultOutput, TextSink } from './output.js';
import type { ProgressSink } from './progress.js';
import type { Settings } from './settings.js';

export interface ShellContext {
  readonly client: NodeClient;
  readonly settings: Settings;
  /** Query results (standard output or the `.output` file). */
  readonly results: ResultOutput;
  /** Messages about the shell's own work; always standard output. */
  readonly messages: TextSink;
  /** Where progress bars are drawn (standard output, which may or may not be a terminal). */
  readonly terminal: ProgressSink;
  /** Fires when the user presses Ctrl-C during the current command. */
  readonly signal: AbortSignal;
  /** Runs SQL statements and dot-commands read from a file (`.read`). */
  runFile(file: string): Promise<void>;
  /** Ends the shell after the current command, with this exit status. */
  requestExit(status: number | undefined): void;
  /** The shell's own version, for `.show`. */
  readonly version: string;
}

export interface DotCommand {
  /** Name without the dot, lower case. */
  readonly name: string;
  readonly aliases?: readonly string[];
  /** `.backup FILE`, as printed by `.help`. */
  readonly usage: string;
  readonly summary: string;
  run(context: ShellContext, args: readonly string[]): Promise<void> | void;
}
