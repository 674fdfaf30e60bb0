import type { DotCommand } from '../context.js';
import { CommandError } from '../errors.js';
import { isOutputMode, outputModes } from '../render/modes.js';
import { expectArguments } from './support.js';

export const modeCommand: DotCommand = {
  name: 'mode',
  usage: `.mode [${outputModes.join('|')}]`,
  summary: 'Show or set how rows are printed',
  run(context, args) {
    expectArguments(modeCommand, args, 0, 1);
    const [mode] = args;
    if (mode === undefined) {
      context.messages.write(`${context.settings.mode}\n`);
      return;
    }
    const lower = mode.toLowerCase();
    if (!isOutputMode(lower))
      throw new CommandError(`invalid mode "${mode}" (use ${outputModes.join(', ')})`);
    context.settings.mode = lower;
  },
};
