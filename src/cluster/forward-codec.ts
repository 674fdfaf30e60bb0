// How forwarded requests and their answers cross the cluster service. Statements travel as encoded log
// commands (the same bytes the leader would log); answers as MessagePack in which every JavaScript number
// is a float64 and every bigint an int64, so that REAL and INTEGER values keep their SQLite types exactly.
import { decode, encode } from '@msgpack/msgpack';

import type { StatementResult } from '../command/types.js';
import type { ReadLevel, ReadOptions, StatementsResponse } from '../http/store.js';

const answerOptions = { useBigInt64: true, forceIntegerToFloat: true, ignoreUndefined: true } as const;

/** A forwarded request or answer that does not have the expected shape. */
export class ForwardFormatError extends Error {
  override readonly name = 'ForwardFormatError';
}

export function encodeStatementsResponse(response: StatementsResponse): Uint8Array {
  return encode(
    {
      results: response.results,
      ...(response.raftIndex === undefined ? {} : { raftIndex: response.raftIndex }),
    },
    answerOptions,
  );
}

export function decodeStatementsResponse(bytes: unknown): StatementsResponse {
  if (!(bytes instanceof Uint8Array)) throw new ForwardFormatError('a forwarded answer is not binary');
  const value = decode(bytes, { useBigInt64: true }) as { results?: unknown; raftIndex?: unknown } | null;
  if (value === null || typeof value !== 'object' || !Array.isArray(value.results)) {
    throw new ForwardFormatError('a forwarded answer has no results');
  }
  const results = value.results as StatementResult[];
  return typeof value.raftIndex === 'number' ? { results, raftIndex: value.raftIndex } : { results };
}

/** The parts of ReadOptions that travel (the abort signal stays with the caller). */
export interface WireReadOptions {
  readonly level: ReadLevel;
  readonly transaction: boolean;
  readonly freshnessMs: number;
  readonly freshnessStrict: boolean;
  readonly linearizableTimeoutMs: number;
  readonly dbTimeoutMs: number;
}

export function toWireReadOptions(options: ReadOptions): WireReadOptions {
  return {
    level: options.level,
    transaction: options.transaction,
    freshnessMs: options.freshnessMs,
    freshnessStrict: options.freshnessStrict,
    linearizableTimeoutMs: options.linearizableTimeoutMs,
    dbTimeoutMs: options.dbTimeoutMs,
  };
}

const levels: readonly ReadLevel[] = ['none', 'weak', 'linearizable', 'strong', 'auto'];

export function fromWireReadOptions(value: unknown, signal: AbortSignal): ReadOptions {
  if (typeof value !== 'object' || value === null) throw new ForwardFormatError('read options missing');
  const v = value as Record<string, unknown>;
  const level = levels.find((candidate) => candidate === v['level']);
  const numberOf = (key: string): number => {
    const n = v[key];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
      throw new ForwardFormatError(`read option ${key} is not a non-negative number`);
    }
    return n;
  };
  if (level === undefined) throw new ForwardFormatError('read option level is not a known level');
  return {
    level,
    transaction: v['transaction'] === true,
    freshnessMs: numberOf('freshnessMs'),
    freshnessStrict: v['freshnessStrict'] === true,
    linearizableTimeoutMs: numberOf('linearizableTimeoutMs'),
    dbTimeoutMs: numberOf('dbTimeoutMs'),
    signal,
  };
}
