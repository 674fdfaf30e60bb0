import type { ShellContext, DotCommand } from '../context.js';
import { CommandError, ResponseFormatError, ServerReportedError } from '../errors.js';
import type { JsonObject } from '../json-value.js';
import { isJsonArray, isJsonObject, stringifyJson } from '../json-value.js';
import { renderOutline } from '../json-tree.js';
import { expectArguments, fetchJson } from './support.js';

/**
 * Reads /nodes in either of its shapes (an object keyed by node ID, or `{"nodes": [...]}`) into one
 * object keyed by node ID.
 */
export async function fetchNodes(context: ShellContext, includeNonVoters: boolean): Promise<JsonObject> {
  const document = await fetchJson(context, 'GET', 'nodes', { nonvoters: includeNonVoters });
  if (!isJsonObject(document)) throw new ResponseFormatError('/nodes did not answer a JSON object');
  const list = document.nodes;
  if (!isJsonArray(list)) return document;
  const byId: Record<string, JsonObject> = {};
  for (const node of list) {
    if (!isJsonObject(node)) continue;
    const id = node.id;
    byId[typeof id === 'string' ? id : stringifyJson(id ?? null)] = node;
  }
  return byId;
}

export const nodesCommand: DotCommand = {
  name: 'nodes',
  usage: '.nodes [all]',
  summary: "Show the cluster's voting nodes and whether they are reachable; 'all' adds non-voters",
  async run(context, args) {
    expectArguments(nodesCommand, args, 0, 1);
    const [which] = args;
    if (which !== undefined && which.toLowerCase() !== 'all')
      throw new CommandError(`usage: ${nodesCommand.usage}`);
    context.results.write(renderOutline(await fetchNodes(context, which !== undefined)));
  },
};

export const leaderCommand: DotCommand = {
  name: 'leader',
  usage: '.leader',
  summary: 'Show the current leader of the cluster',
  async run(context, args) {
    expectArguments(leaderCommand, args, 0, 0);
    const nodes = await fetchNodes(context, true);
    const leaderId = Object.keys(nodes).find((id) => {
      const node = nodes[id];
      return isJsonObject(node) && node.leader === true;
    });
    if (leaderId === undefined) throw new ServerReportedError('no leader found');
    context.results.write(renderOutline({ [leaderId]: nodes[leaderId] ?? null }));
  },
};
