import type { DotCommand } from '../context.js';
import { expectArguments } from './support.js';

export const outputCommand: DotCommand = {
  name: 'output',
  usage: '.output [FILE]',
  summary: 'Send results to FILE, or back to standard output without FILE (or with "stdout")',
  run(context, args) {
    expectArguments(outputCommand, args, 0, 1);
    const [file] = args;
    context.results.redirect(file === undefined || file === 'stdout' ? undefined : file);
  },
};
