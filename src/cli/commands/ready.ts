import type { DotCommand } from '../context.js';
import { ServerReportedError } from '../errors.js';
import { expectArguments } from './support.js';

export const readyCommand: DotCommand = {
  name: 'ready',
  usage: '.ready',
  summary: 'Show whether the node is ready to serve (it knows a leader and its store is open)',
  async run(context, args) {
    expectArguments(readyCommand, args, 0, 0);
    const response = await context.client.request({ method: 'GET', path: 'readyz', signal: context.signal });
    if (response.status === 200) {
      context.messages.write('ready\n');
      return;
    }
    const reasons = response.body
      .toString()
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
    const detail = reasons.length === 0 ? `HTTP ${response.status}` : reasons.join(', ');
    throw new ServerReportedError(`node not ready: ${detail}`);
  },
};
