// Encoding of commands as log entry payloads. The first byte is a format version so that the format can
// change without misreading old logs; the rest is MessagePack with int64 support, which keeps bigint
// parameters exact and carries blobs as raw bytes.
//
// Version 2 writes each distinct SQL text of a command once and has its statements refer to it by number:
// a batch usually repeats one text thousands of times, and every node decodes every entry, so that takes
// a large share of a batch's bytes on disk and on the wire and of its decoding, and gives every statement
// of the decoded command the same string, whose hash the SQL caches then compute once. Version 1 entries
// (each statement carrying its own text) are still read.
import { Decoder, Encoder } from '@msgpack/msgpack';

import type { Command, SqlValue, Statement } from './types.js';

const formatVersion = 2;
const msgpackOptions = { useBigInt64: true } as const;
/**
 * One encoder is kept because it keeps its grown buffer, sparing each command the buffer's regrowth from
 * 2 KiB; after a command larger than this it is replaced, so that one huge request does not pin its
 * buffer for the life of the process.
 */
const keptEncoderBytesMax = 4 * 1024 * 1024;
let encoder = new Encoder(msgpackOptions);
/** One decoder for every entry (decode() would make one per call; a decoder in use clones itself). */
const decoder = new Decoder(msgpackOptions);

/** A log entry payload that cannot be decoded: the log is from a newer Dust, or it is corrupt. */
export class CommandDecodeError extends Error {
  override readonly name = 'CommandDecodeError';
}

export function encodeCommand(command: Command): Uint8Array {
  // The shared view is only valid until the next encode: it is copied out at once.
  const body = encoder.encodeSharedRef(toWire(command));
  const out = new Uint8Array(body.length + 1);
  out[0] = formatVersion;
  out.set(body, 1);
  if (body.length > keptEncoderBytesMax) encoder = new Encoder(msgpackOptions);
  return out;
}

/**
 * Whether decodeCommand(encodeCommand(command)) gives back exactly `command`'s values, so that a node may
 * apply the command it proposed instead of decoding its entry and bind the very values its followers
 * bind. Two kinds of value may not come back as they went: the number -0 (MessagePack writes an integral
 * number as an integer, and integers have no sign of zero) and a string holding a lone surrogate (UTF-8
 * has no form for one; the encoder puts U+FFFD in its place in long strings). For those the entry's
 * bytes are the truth every node applies.
 */
export function decodesExactly(command: Command): boolean {
  if (command.kind !== 'statements') return true;
  let previousSql: string | undefined;
  for (const statement of command.statements) {
    // A batch usually repeats one text: it is looked at once.
    if (statement.sql !== previousSql) {
      if (!statement.sql.isWellFormed()) return false;
      previousSql = statement.sql;
    }
    for (const value of statement.positional) if (!valueDecodesExactly(value)) return false;
    for (const name in statement.named) {
      if (!name.isWellFormed() || !valueDecodesExactly(statement.named[name] ?? null)) return false;
    }
  }
  return true;
}

function valueDecodesExactly(value: SqlValue): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  return !Object.is(value, -0);
}

export function decodeCommand(payload: Uint8Array): Command {
  if (payload.length === 0) throw new CommandDecodeError('empty command payload');
  const version = payload[0];
  if (version !== 1 && version !== formatVersion) {
    throw new CommandDecodeError(`command format version ${version} is not known to this version of Dust`);
  }
  let wire: unknown;
  try {
    wire = decoder.decode(payload.subarray(1));
  } catch (error) {
    throw new CommandDecodeError(`command payload is not valid MessagePack: ${String(error)}`);
  }
  return fromWire(wire, version);
}

// The wire form uses short positional arrays: commands are written for every client write, so their size
// is the log's size. A statement's first element is its SQL text in version 1, and in version 2 the
// number of its text in the command's list of texts.
type WireStatement = readonly [
  sql: number,
  positional: readonly SqlValue[],
  named: Readonly<Record<string, SqlValue>>,
  returnsRows: 0 | 1,
];
type WireCommand =
  | readonly [
      's',
      mode: 'execute' | 'query' | 'request',
      transaction: 0 | 1,
      statements: readonly WireStatement[],
      texts: readonly string[],
    ]
  | readonly ['n']
  | readonly ['l', database: Uint8Array];

function toWire(command: Command): WireCommand {
  switch (command.kind) {
    case 'statements': {
      const texts: string[] = [];
      const numberOf = new Map<string, number>();
      const statements = command.statements.map((s): WireStatement => {
        let number = numberOf.get(s.sql);
        if (number === undefined) {
          number = texts.length;
          texts.push(s.sql);
          numberOf.set(s.sql, number);
        }
        return [number, s.positional, s.named, s.returnsRows ? 1 : 0];
      });
      return ['s', command.mode, command.transaction ? 1 : 0, statements, texts];
    }
    case 'noop':
      return ['n'];
    case 'load':
      return ['l', command.database];
  }
}

function fromWire(wire: unknown, version: number): Command {
  if (!Array.isArray(wire) || typeof wire[0] !== 'string') throw new CommandDecodeError('malformed command');
  switch (wire[0]) {
    case 's': {
      const [, mode, transaction, statements, texts] = wire as unknown[];
      if ((mode !== 'execute' && mode !== 'query' && mode !== 'request') || !Array.isArray(statements)) {
        throw new CommandDecodeError('malformed statements command');
      }
      const textOf = version === 1 ? textInline : textFromList(texts);
      return {
        kind: 'statements',
        mode,
        transaction: transaction === 1,
        statements: statements.map((statement) => statementFromWire(statement, textOf)),
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

/** Version 1: the statement carries its text. */
function textInline(sql: unknown): string | undefined {
  return typeof sql === 'string' ? sql : undefined;
}

/** Version 2: the statement carries the number of its text in the command's list. */
function textFromList(texts: unknown): (sql: unknown) => string | undefined {
  if (!Array.isArray(texts) || !texts.every((text) => typeof text === 'string')) {
    throw new CommandDecodeError('malformed statements command: no list of SQL texts');
  }
  return (sql) => (typeof sql === 'number' ? texts[sql] : undefined);
}

function statementFromWire(wire: unknown, textOf: (sql: unknown) => string | undefined): Statement {
  if (!Array.isArray(wire) || !Array.isArray(wire[1])) throw new CommandDecodeError('malformed statement');
  const sql = textOf(wire[0]);
  const named: unknown = wire[2];
  if (sql === undefined || typeof named !== 'object' || named === null) {
    throw new CommandDecodeError('malformed statement');
  }
  return {
    sql,
    positional: wire[1] as SqlValue[],
    named: named as Record<string, SqlValue>,
    returnsRows: wire[3] === 1,
  };
}
