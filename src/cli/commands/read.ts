import type { DotCommand } from '../context.js';
import { expectArguments } from './support.js';

export const readCommand: DotCommand = {
  name: 'read',
  usage: '.read FILE',
  summary: 'Run the SQL statements and commands in FILE',
  async run(context, args) {
    expectArguments(readCommand, args, 1, 1);
    await context.runFile(args[0] ?? '');
  },
};
