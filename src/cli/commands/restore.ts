import type { DotCommand } from '../context.js';
import { HttpStatusError, ServerReportedError } from '../errors.js';
import { ProgressBar } from '../progress.js';
import { parseSqlResponse } from '../results.js';
import { openInputFile } from './files.js';
import { expectArguments } from './support.js';

export const restoreCommand: DotCommand = {
  name: 'restore',
  usage: '.restore FILE',
  summary: 'Load the database from FILE: a SQLite file or a SQL dump (gzip allowed)',
  async run(context, args) {
    expectArguments(restoreCommand, args, 1, 1);
    const input = await openInputFile(args[0] ?? '');
    const progress = new ProgressBar('restore', context.terminal);
    try {
      const response = await context.client.transfer({
        method: 'POST',
        path: 'db/load',
        body: {
          kind: 'file',
          path: input.path,
          sizeBytes: input.sizeBytes,
          contentType: input.isSqlite ? 'application/octet-stream' : 'text/plain',
          onProgress: (done, total) => progress.update(done, total),
        },
        signal: context.signal,
      });
      progress.finish();
      const text = response.body.toString();
      if (response.status !== 200) {
        throw new HttpStatusError('POST', '/db/load', response.status, response.statusText, text);
      }
      if (text.trim() !== '') {
        const parsed = parseSqlResponse(text);
        if (parsed.error !== undefined) throw new ServerReportedError(parsed.error);
        for (const result of parsed.results) {
          if (result.kind === 'error') throw new ServerReportedError(result.message);
        }
      }
      context.messages.write('Database restored successfully.\n');
    } catch (error) {
      progress.abandon();
      throw error;
    } finally {
      input.release();
    }
  },
};
