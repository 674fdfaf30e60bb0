// Encoding of commands as log entry payloads. The first byte is a format version so that the format can
// change without misreading old logs; the rest is MessagePack with int64 support, which keeps bigint
// parameters exact and carries blobs as raw bytes.
import { decode, encode } from '@msgpack/msgpack';

import type { Command, SqlValue, Statement } from './types.js';

const formatVersion = 1;
const msgpackOptions = { useBigInt64: true } as const;

/** A log entry payload that cannot be decoded: the log is from a newer Dust, or it is corrupt. */
export class CommandDecodeError extends Error {
  override readonly name = 'CommandDecodeError';
}

export function encodeCommand(command: Command): Uint8Array {
  const body = encode(toWire(command), msgpackOptions);
  const out = new Uint8Array(body.length + 1);
  out[0] = formatVersion;
  out.set(body, 1);
  return out;
}

export function decodeCommand(payload: Uint8Array): Command {
  if (payload.length === 0) throw new CommandDecodeError('empty command payload');
  if (payload[0] !== formatVersion) {
    throw new CommandDecodeError(`command format version ${payload[0]} is not known to this version of Dust`);
  }
  let wire: unknown;
  try {
    wire = decode(payload.subarray(1), msgpackOptions);
  } catch (error) {
    throw new CommandDecodeError(`command payload is not valid MessagePack: ${String(error)}`);
  }
  return fromWire(wire);
}

// The wire form uses short positional arrays: commands are written for every client write, so their size
// is the log's size.
type WireStatement = [
  sql: string,
  positional: SqlValue[],
  named: Record<string, SqlValue>,
  returnsRows: 0 | 1,
];
type WireCommand =
  | ['s', mode: 'execute' | 'query' | 'request', transaction: 0 | 1, statements: WireStatement[]]
  | ['n']
  | ['l', database: Uint8Array];

function toWire(command: Command): WireCommand {
  switch (command.kind) {
    case 'statements':
      return [
        's',
        command.mode,
        command.transaction ? 1 : 0,
        command.statements.map((s) => [s.sql, [...s.positional], { ...s.named }, s.returnsRows ? 1 : 0]),
      ];
    case 'noop':
      return ['n'];
    case 'load':
      return ['l', command.database];
  }
}

function fromWire(wire: unknown): Command {
  if (!Array.isArray(wire) || typeof wire[0] !== 'string') throw new CommandDecodeError('malformed command');
  switch (wire[0]) {
    case 's': {
      const [, mode, transaction, statements] = wire as unknown[];
      if ((mode !== 'execute' && mode !== 'query' && mode !== 'request') || !Array.isArray(statements)) {
        throw new CommandDecodeError('malformed statements command');
      }
      return {
        kind: 'statements',
        mode,
        transaction: transaction === 1,
        statements: statements.map(statementFromWire),
      };
    }
    case 'n':
      return { kind: 'noop' };
    case 'l': {
      const database: unknown = wire[1];
      if (!(database instanceof Uint8Array)) throw new CommandDecodeError('malformed load command');
      return { kind: 'load', database };
    }
    default:
      throw new CommandDecodeError(`unknown command kind ${JSON.stringify(wire[0])}`);
  }
}

function statementFromWire(wire: unknown): Statement {
  if (!Array.isArray(wire) || typeof wire[0] !== 'string' || !Array.isArray(wire[1])) {
    throw new CommandDecodeError('malformed statement');
  }
  const named: unknown = wire[2];
  if (typeof named !== 'object' || named === null) throw new CommandDecodeError('malformed statement');
  return {
    sql: wire[0],
    positional: wire[1] as SqlValue[],
    named: named as Record<string, SqlValue>,
    returnsRows: wire[3] === 1,
  };
}
