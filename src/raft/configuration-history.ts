// Which configuration is in force at which log index. A node uses the newest configuration in its log
// whether or not it is committed, so the history follows the log exactly: it grows when configuration
// entries are appended, shrinks when a conflicting suffix is truncated, and restarts from a snapshot.

import { RaftInvariantError } from './errors.js';
import { Configuration, decodeConfChangeEntry } from './membership.js';
import type { ConfState, Entry } from './types.js';

interface Change {
  readonly index: number;
  readonly configuration: Configuration;
}

export class ConfigurationHistory {
  // Ascending by index. The first element is the base: the configuration of the snapshot the log starts
  // from; the others come from configuration entries still in the log.
  private changes: Change[];

  constructor(baseIndex: number, baseConfState: ConfState) {
    this.changes = [{ index: baseIndex, configuration: new Configuration(baseConfState) }];
  }

  private last(): Change {
    return this.changes[this.changes.length - 1] as Change;
  }

  current(): Configuration {
    return this.last().configuration;
  }

  /** The index of the entry that produced the current configuration (the base index if none did). */
  currentIndex(): number {
    return this.last().index;
  }

  /** The configuration in force once every entry up to `index` is applied. */
  at(index: number): Configuration {
    for (let i = this.changes.length - 1; i >= 0; i--) {
      const change = this.changes[i] as Change;
      if (change.index <= index) return change.configuration;
    }
    throw new RaftInvariantError(`no configuration is known at index ${index}; the history starts later`);
  }

  /** Records the configuration entries among `entries`, which were just appended in order. */
  recordAppended(entries: readonly Entry[]): boolean {
    let changed = false;
    for (const entry of entries) {
      if (entry.type !== 'confChange') continue;
      if (entry.index <= this.currentIndex()) {
        throw new RaftInvariantError(
          `configuration entry ${entry.index} appended at or before the current one ${this.currentIndex()}`,
        );
      }
      const { confState } = decodeConfChangeEntry(entry.data);
      this.changes.push({ index: entry.index, configuration: new Configuration(confState) });
      changed = true;
    }
    return changed;
  }

  /** Forgets configurations from entries at or after `index`, which the log just truncated. */
  truncateFrom(index: number): boolean {
    const base = this.changes[0] as Change;
    if (index <= base.index) {
      throw new RaftInvariantError(
        `truncation at ${index} reaches the snapshot configuration at ${base.index}`,
      );
    }
    const before = this.changes.length;
    while (this.last().index >= index) this.changes.pop();
    return this.changes.length !== before;
  }

  /** Starts over from a snapshot. */
  resetTo(index: number, confState: ConfState): void {
    this.changes = [{ index, configuration: new Configuration(confState) }];
  }

  /** Drops changes that no index at or after `index` can need, keeping the history small. */
  forgetBefore(index: number): void {
    let keepFrom = 0;
    for (let i = 0; i < this.changes.length; i++) {
      if ((this.changes[i] as Change).index <= index) keepFrom = i;
    }
    if (keepFrom > 0) this.changes = this.changes.slice(keepFrom);
  }
}
