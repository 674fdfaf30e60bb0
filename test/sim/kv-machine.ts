// The replicated state machine of the simulation: a key-value register with put, get and
// compare-and-set, applied in log order on every node. Commands and snapshots are JSON text.

import type { KeyValueInput, KeyValueOutput } from '../lib/linearizability.js';

export interface KvCommand {
  /** The operation this command carries out, to route the result back to its client. */
  readonly operation: number;
  readonly input: KeyValueInput;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(command: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

export function decodeCommand(data: Uint8Array): KvCommand {
  return JSON.parse(decoder.decode(data)) as KvCommand;
}

export class KvMachine {
  private readonly values: Map<string, string>;

  constructor(values: Iterable<readonly [string, string]> = []) {
    this.values = new Map(values);
  }

  static fromSnapshot(data: string): KvMachine {
    return new KvMachine(JSON.parse(data) as [string, string][]);
  }

  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  apply(input: KeyValueInput): KeyValueOutput {
    switch (input.kind) {
      case 'put':
        this.values.set(input.key, input.value);
        return { kind: 'put' };
      case 'get':
        return { kind: 'get', value: this.get(input.key) };
      case 'cas': {
        const ok = this.get(input.key) === input.from;
        if (ok) this.values.set(input.key, input.to);
        return { kind: 'cas', ok };
      }
    }
  }

  snapshot(): string {
    return JSON.stringify([...this.values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
}
