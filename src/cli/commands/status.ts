import type { DotCommand } from '../context.js';
import { renderOutline, selectPath } from '../json-tree.js';
import { fetchJson, expectArguments } from './support.js';
import { CommandError } from '../errors.js';

/** `.status` and `.expvar` print a diagnostic document, or one dotted key of it (`store.raft`). */
function documentCommand(name: string, path: string, summary: string): DotCommand {
  const command: DotCommand = {
    name,
    usage: `.${name} [KEY]`,
    summary,
    async run(context, args) {
      expectArguments(command, args, 0, 1);
      const document = await fetchJson(context, 'GET', path);
      const [key] = args;
      if (key === undefined) {
        context.results.write(renderOutline(document));
        return;
      }
      const selected = selectPath(document, key);
      if (selected === undefined) throw new CommandError(`no key "${key}" in /${path}`);
      const leaf =
        key
          .split('.')
          .filter((step) => step !== '')
          .pop() ?? key;
      context.results.write(renderOutline({ [leaf]: selected }));
    },
  };
  return command;
}

export const statusCommand = documentCommand(
  'status',
  'status',
  'Show status and diagnostics of the node, or one KEY (e.g. store.raft)',
);

export const expvarCommand = documentCommand(
  'expvar',
  'debug/vars',
  'Show the node counters, or one KEY of them',
);
