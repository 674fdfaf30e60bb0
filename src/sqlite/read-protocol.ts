// Messages between the read pool (main thread) and its workers. Everything in them survives structured
// clone exactly: bigint stays bigint, Uint8Array stays bytes.
import type { Statement, StatementResult } from '../command/types.js';
import type { ReadTarget } from './database.js';

/** What a worker is started with. */
export interface ReadWorkerData {
  readonly gateBuffer: SharedArrayBuffer;
  /** Its slot in the gate, marked while it reads. */
  readonly slot: number;
  readonly target: ReadTarget;
}

export type ToReadWorker =
  | {
      readonly kind: 'query';
      readonly id: number;
      readonly statements: readonly Statement[];
      readonly transaction: boolean;
      /** 0 for no limit. */
      readonly timeoutMs: number;
    }
  /** The database was replaced: later queries must read the new one. */
  | { readonly kind: 'retarget'; readonly target: ReadTarget };

export type FromReadWorker =
  /** The result of statement `index` of query `id`, sent as soon as it is known. */
  | { readonly kind: 'result'; readonly id: number; readonly index: number; readonly result: StatementResult }
  /** The query is over; `results` are those of its last statements that were not sent one by one. */
  | { readonly kind: 'done'; readonly id: number; readonly results: readonly StatementResult[] }
  /** The worker's target is older than the database's: run the query again once it has the new one. */
  | { readonly kind: 'stale'; readonly id: number }
  /** An unexpected failure (a bug or a broken database file), with its message. */
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };

/** rqlite's message for a statement cut short by `db_timeout`. */
export const queryTimeoutMessage = 'query timeout';
