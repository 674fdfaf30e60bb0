import { StringDecoder } from 'node:string_decoder';
import type { DotCommand } from '../context.js';
import type { QueryParams } from '../http-client.js';
import { formatBytes, ProgressBar } from '../progress.js';
import { PendingFile } from './files.js';
import { expectArguments } from './support.js';

/** Table names may be given as `t1,t2` or `t1, t2` or `t1 t2`. */
function tableList(words: readonly string[]): string[] {
  return words
    .join(',')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
}

export const dumpCommand: DotCommand = {
  name: 'dump',
  usage: '.dump [FILE|- [TABLE,...]]',
  summary:
    'Dump the database as SQL text to FILE (to the output without FILE or with -), optionally only TABLEs',
  async run(context, args) {
    expectArguments(dumpCommand, args, 0, 64);
    const [file, ...tableWords] = args;
    const tables = tableList(tableWords);
    const query: QueryParams = { fmt: 'sql', tables: tables.length === 0 ? undefined : tables.join(',') };
    const spec = { method: 'GET' as const, path: 'db/backup', query, signal: context.signal };
    if (file === undefined || file === '-') {
      // A chunk may end inside a multi-byte character; the decoder carries it to the next chunk.
      const decoder = new StringDecoder('utf8');
      await context.client.download(spec, (chunk) => context.results.write(decoder.write(chunk)));
      context.results.write(decoder.end());
      return;
    }
    const pending = new PendingFile(file);
    const progress = new ProgressBar('dump', context.terminal);
    try {
      const { bytes } = await context.client.download(
        spec,
        (chunk) => pending.write(chunk),
        (done, total) => progress.update(done, total),
      );
      pending.commit();
      progress.finish();
      context.messages.write(`Dump written to ${file} (${formatBytes(bytes)}).\n`);
    } catch (error) {
      progress.abandon();
      pending.discard();
      throw error;
    }
  },
};
