// A readable event trace, recorded only when asked for (replaying one seed), so that the many-seed runs
// pay nothing for it.

import { unitsPerTick } from './profile.js';

export class Trace {
  readonly lines: string[] = [];
  constructor(readonly enabled: boolean) {}

  add(time: number, who: string, text: string): void {
    if (!this.enabled) return;
    const ticks = (time / unitsPerTick).toFixed(2).padStart(8);
    this.lines.push(`${ticks} ${who.padEnd(6)} ${text}`);
  }
}
