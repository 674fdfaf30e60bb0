import type { DotCommand } from '../context.js';
import { CommandError } from '../errors.js';
import { expectArguments } from './support.js';

/** `.help` lists the commands it is given; the list is passed in so that help does not import the registry. */
export function helpCommand(commands: () => readonly DotCommand[]): DotCommand {
  const command: DotCommand = {
    name: 'help',
    usage: '.help [COMMAND]',
    summary: 'Show this message, or the help of one command',
    run(context, args) {
      expectArguments(command, args, 0, 1);
      const all = [...commands()].sort((left, right) => left.name.localeCompare(right.name));
      const [wanted] = args;
      const shown =
        wanted === undefined
          ? all
          : all.filter((item) => {
              const name = wanted.replace(/^\./, '').toLowerCase();
              return item.name === name || (item.aliases ?? []).includes(name);
            });
      if (shown.length === 0)
        throw new CommandError(`no command named "${wanted ?? ''}"; enter ".help" for the list`);
      const width = Math.max(...shown.map((item) => item.usage.length)) + 2;
      const lines = shown.map((item) => `${item.usage.padEnd(width)}${item.summary}`);
      if (wanted === undefined) {
        lines.push(
          '',
          'SQL statements end with ";" and may span several lines. Ctrl-C cancels, Ctrl-D leaves.',
        );
      }
      context.messages.write(`${lines.join('\n')}\n`);
    },
  };
  return command;
}
