// Where results go: standard output, or a file chosen with `.output FILE`. Messages about the shell's own
// work (a backup written, a setting shown) always go to standard output, so that a redirected result file
// holds results only.
import fs from 'node:fs';
import { fileError } from './errors.js';

export interface TextSink {
  write(text: string): void;
}

export class ResultOutput implements TextSink {
  private fileDescriptor: number | undefined;
  private fileName: string | undefined;

  constructor(private readonly standardOutput: TextSink) {}

  /** `stdout`, or the file results are written to. */
  get name(): string {
    return this.fileName ?? 'stdout';
  }

  write(text: string): void {
    if (this.fileDescriptor === undefined) {
      this.standardOutput.write(text);
      return;
    }
    try {
      fs.writeSync(this.fileDescriptor, text);
    } catch (error) {
      throw fileError('write to', this.fileName ?? 'the output file', error);
    }
  }

  /** Sends results to `file` (created or truncated), or back to standard output when undefined. */
  redirect(file: string | undefined): void {
    let descriptor: number | undefined;
    if (file !== undefined) {
      try {
        descriptor = fs.openSync(file, 'w');
      } catch (error) {
        throw fileError('open', file, error);
      }
    }
    this.close();
    this.fileDescriptor = descriptor;
    this.fileName = file;
  }

  close(): void {
    if (this.fileDescriptor !== undefined) fs.closeSync(this.fileDescriptor);
    this.fileDescriptor = undefined;
    this.fileName = undefined;
  }
}
