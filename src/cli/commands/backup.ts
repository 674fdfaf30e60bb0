import type { DotCommand } from '../context.js';
import { formatBytes, ProgressBar } from '../progress.js';
import { PendingFile } from './files.js';
import { expectArguments } from './support.js';

export const backupCommand: DotCommand = {
  name: 'backup',
  usage: '.backup FILE',
  summary: 'Write a binary backup of the database (a SQLite file) to FILE',
  async run(context, args) {
    expectArguments(backupCommand, args, 1, 1);
    const file = args[0] ?? '';
    const pending = new PendingFile(file);
    const progress = new ProgressBar('backup', context.terminal);
    try {
      const { bytes } = await context.client.download(
        { method: 'GET', path: 'db/backup', signal: context.signal },
        (chunk) => pending.write(chunk),
        (done, total) => progress.update(done, total),
      );
      pending.commit();
      progress.finish();
      context.messages.write(`Backup written to ${file} (${formatBytes(bytes)}).\n`);
    } catch (error) {
      progress.abandon();
      pending.discard();
      throw error;
    }
  },
};
