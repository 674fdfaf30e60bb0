// Commands that change the cluster or ask a node for work: .remove, .stepdown, .snapshot, .reap.
import type { DotCommand } from '../context.js';
import { CommandError, ResponseFormatError } from '../errors.js';
import { isJsonObject, parseJson, stringifyJson } from '../json-value.js';
import { callEndpoint, expectArguments } from './support.js';

export const removeCommand: DotCommand = {
  name: 'remove',
  usage: '.remove NODEID',
  summary: 'Remove node NODEID from the cluster',
  async run(context, args) {
    expectArguments(removeCommand, args, 1, 1);
    const id = args[0] ?? '';
    await callEndpoint(context, 'DELETE', 'remove', { json: { id } });
    context.messages.write(`Node ${id} removed from the cluster.\n`);
  },
};

export const stepdownCommand: DotCommand = {
  name: 'stepdown',
  usage: '.stepdown [NODEID]',
  summary: 'Ask the leader to step down, optionally naming the node to take over',
  async run(context, args) {
    expectArguments(stepdownCommand, args, 0, 1);
    const [id] = args;
    await callEndpoint(context, 'POST', 'leader', {
      query: { wait: true },
      ...(id === undefined ? {} : { json: { id } }),
    });
    context.messages.write('Leadership transferred.\n');
  },
};

export const snapshotCommand: DotCommand = {
  name: 'snapshot',
  usage: '.snapshot [TRAILINGLOGS]',
  summary: 'Ask the node for a snapshot and log truncation, keeping TRAILINGLOGS log entries',
  async run(context, args) {
    expectArguments(snapshotCommand, args, 0, 1);
    const [trailing] = args;
    if (trailing !== undefined && !/^\d{1,12}$/.test(trailing)) {
      throw new CommandError(`invalid number of trailing logs "${trailing}"`);
    }
    const { status } = await callEndpoint(context, 'POST', 'snapshot', {
      query: { trailing_logs: trailing },
      accepted: [200, 204],
    });
    context.messages.write(status === 204 ? 'Nothing new to snapshot.\n' : 'Snapshot taken.\n');
  },
};

export const reapCommand: DotCommand = {
  name: 'reap',
  usage: '.reap',
  summary: 'Ask the node to consolidate its old snapshots',
  async run(context, args) {
    expectArguments(reapCommand, args, 0, 0);
    const { body } = await callEndpoint(context, 'POST', 'reap');
    let document;
    try {
      document = parseJson(body);
    } catch {
      throw new ResponseFormatError('/reap did not answer JSON');
    }
    if (!isJsonObject(document)) throw new ResponseFormatError('/reap did not answer a JSON object');
    const reaped = stringifyJson(document.snapshots_reaped ?? 0);
    const checkpointed = stringifyJson(document.wals_checkpointed ?? 0);
    context.messages.write(`Snapshots reaped: ${reaped}, WAL files checkpointed: ${checkpointed}.\n`);
  },
};
