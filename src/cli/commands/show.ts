import type { DotCommand } from '../context.js';
import { expectArguments, onOff } from './support.js';

export const showCommand: DotCommand = {
  name: 'show',
  usage: '.show',
  summary: 'Show the current settings',
  run(context, args) {
    expectArguments(showCommand, args, 0, 0);
    const { settings } = context;
    const entries: [string, string][] = [
      ['node', context.client.urlOf('')],
      ['blobarray', onOff(settings.blobArray)],
      ['changes', onOff(settings.changes)],
      ['consistency', settings.consistency],
      ['forcewrites', onOff(settings.forceWrites)],
      ['mode', settings.mode],
      ['output', context.results.name],
      ['timer', onOff(settings.timer)],
      ['version', context.version],
    ];
    const width = Math.max(...entries.map(([name]) => name.length));
    context.messages.write(entries.map(([name, value]) => `${name.padStart(width)}: ${value}\n`).join(''));
  },
};
