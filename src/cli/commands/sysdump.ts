// `.sysdump FILE` gathers what a bug report needs from every node of the cluster: status, nodes, readiness
// and counters. A node that cannot be asked is noted in the file rather than stopping the dump.
import type { DotCommand } from '../context.js';
import { isJsonObject } from '../json-value.js';
import { PendingFile } from './files.js';
import { fetchNodes } from './nodes.js';
import { expectArguments } from './support.js';

const sections = ['status?pretty', 'nodes?pretty', 'readyz', 'debug/vars'];

export const sysdumpCommand: DotCommand = {
  name: 'sysdump',
  usage: '.sysdump FILE',
  summary: 'Write diagnostics of every node (status, nodes, readiness, counters) to FILE',
  async run(context, args) {
    expectArguments(sysdumpCommand, args, 1, 1);
    const file = args[0] ?? '';
    const baseUrls: string[] = [];
    let nodesProblem: string | undefined;
    try {
      const nodes = await fetchNodes(context, true);
      for (const id of Object.keys(nodes).sort()) {
        const node = nodes[id];
        const address = isJsonObject(node) ? node.api_addr : undefined;
        if (typeof address === 'string' && address !== '') baseUrls.push(address.replace(/\/+$/, ''));
      }
    } catch (error) {
      nodesProblem = error instanceof Error ? error.message : String(error);
    }
    const connected = context.client.urlOf('').replace(/\/+$/, '');
    if (baseUrls.length === 0) baseUrls.push(connected);

    const pending = new PendingFile(file);
    try {
      if (nodesProblem !== undefined) {
        pending.write(
          Buffer.from(`Could not list the nodes (${nodesProblem}); only ${connected} is included.\n`),
        );
      }
      for (const base of baseUrls) {
        for (const section of sections) {
          const url = `${base}/${section}`;
          pending.write(Buffer.from(`\n=========================================\nURL: ${url}\n`));
          try {
            const response = await context.client.requestUrl(url, context.signal);
            pending.write(Buffer.from(`Status: ${response.status} ${response.statusText}\n\n`));
            if (response.status === 200) pending.write(response.body);
          } catch (error) {
            pending.write(
              Buffer.from(`Status: ${error instanceof Error ? error.message : String(error)}\n\n`),
            );
          }
        }
      }
      pending.commit();
    } catch (error) {
      pending.discard();
      throw error;
    }
    context.messages.write(`System diagnostics of ${baseUrls.length} node(s) written to ${file}.\n`);
  },
};
