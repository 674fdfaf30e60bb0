import type { DotCommand } from '../context.js';
import { CommandError, HttpStatusError } from '../errors.js';
import { ProgressBar } from '../progress.js';
import { openInputFile } from './files.js';
import { expectArguments } from './support.js';

export const bootCommand: DotCommand = {
  name: 'boot',
  usage: '.boot FILE',
  summary: 'Boot a single-node cluster from the SQLite file FILE, bypassing the log (gzip allowed)',
  async run(context, args) {
    expectArguments(bootCommand, args, 1, 1);
    const file = args[0] ?? '';
    const input = await openInputFile(file);
    const progress = new ProgressBar('boot', context.terminal);
    try {
      if (!input.isSqlite) throw new CommandError(`${file} is not a SQLite database file`);
      const response = await context.client.transfer({
        method: 'POST',
        path: 'boot',
        body: {
          kind: 'file',
          path: input.path,
          sizeBytes: input.sizeBytes,
          contentType: 'application/octet-stream',
          onProgress: (done, total) => progress.update(done, total),
        },
        signal: context.signal,
      });
      progress.finish();
      if (response.status !== 200) {
        throw new HttpStatusError(
          'POST',
          '/boot',
          response.status,
          response.statusText,
          response.body.toString(),
        );
      }
      context.messages.write('Node booted successfully.\n');
    } catch (error) {
      progress.abandon();
      throw error;
    } finally {
      input.release();
    }
  },
};
