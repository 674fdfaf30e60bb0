import type { DotCommand } from '../context.js';
import { isJsonArray, isJsonObject } from '../json-value.js';
import { expectArguments, fetchJson } from './support.js';

export const extensionsCommand: DotCommand = {
  name: 'extensions',
  usage: '.extensions',
  summary: 'List the SQLite extensions loaded by the node',
  async run(context, args) {
    expectArguments(extensionsCommand, args, 0, 0);
    const document = await fetchJson(context, 'GET', 'status', { key: 'extensions' });
    const names = isJsonObject(document) ? document.names : undefined;
    const list = isJsonArray(names) ? names.map(String) : [];
    context.results.write(list.length === 0 ? 'no extensions loaded\n' : `${list.join('\n')}\n`);
  },
};
