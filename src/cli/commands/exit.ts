import type { DotCommand } from '../context.js';
import { CommandError } from '../errors.js';
import { expectArguments } from './support.js';

export const exitCommand: DotCommand = {
  name: 'exit',
  aliases: ['quit'],
  usage: '.exit [CODE]',
  summary: 'Leave the shell (also .quit), optionally with an exit status',
  run(context, args) {
    expectArguments(exitCommand, args, 0, 1);
    const [code] = args;
    if (code === undefined) {
      context.requestExit(undefined);
      return;
    }
    if (!/^\d{1,3}$/.test(code) || Number(code) > 255)
      throw new CommandError(`invalid exit status "${code}" (0-255)`);
    context.requestExit(Number(code));
  },
};
