import type { DotCommand } from '../context.js';
import { CommandError } from '../errors.js';
import { consistencyLevels, isConsistencyLevel } from '../settings.js';
import { expectArguments } from './support.js';

export const consistencyCommand: DotCommand = {
  name: 'consistency',
  usage: `.consistency [${consistencyLevels.join('|')}]`,
  summary: 'Show or set the read consistency level',
  run(context, args) {
    expectArguments(consistencyCommand, args, 0, 1);
    const [level] = args;
    if (level === undefined) {
      context.messages.write(`${context.settings.consistency}\n`);
      return;
    }
    const lower = level.toLowerCase();
    if (!isConsistencyLevel(lower)) {
      throw new CommandError(`invalid consistency level "${level}" (use ${consistencyLevels.join(', ')})`);
    }
    context.settings.consistency = lower;
  },
};
