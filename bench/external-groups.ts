// Groups whose measurements live in their own modules (the durable log, the Raft core). Each returns plain
// results; here they become figures, named under the group and compared with the group's own baseline
// (the result whose name says "baseline"), when the units allow a ratio.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

import { compare, slug, type Figure } from './figures.js';
import { benchLog } from './log.js';

interface PlainResult {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

/** A group module that answered with something other than a list of results. */
export class GroupResultError extends Error {
  readonly code = 'GROUP_RESULT_INVALID';
  constructor(group: string, detail: string) {
    super(`the ${group} benchmark returned an unusable result: ${detail}`);
    this.name = 'GroupResultError';
  }
}

function isPlainResult(value: unknown): value is PlainResult {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record['name'] === 'string' &&
    typeof record['value'] === 'number' &&
    typeof record['unit'] === 'string'
  );
}

function validateResults(group: string, results: unknown): PlainResult[] {
  if (!Array.isArray(results)) throw new GroupResultError(group, 'not an array');
  return results.map((result: unknown, index) => {
    if (!isPlainResult(result)) throw new GroupResultError(group, `item ${index} is not {name, value, unit}`);
    return result;
  });
}

/** Turns a group's results into figures named `group.<slug of name>`, with ratios against its baseline. */
export function figuresOf(group: string, results: readonly PlainResult[]): Figure[] {
  const nameOf = (result: PlainResult): string =>
    `${group}.${slug(result.name.replace(new RegExp(`^${group}\\s*:\\s*`, 'i'), ''))}`;
  const baselineResult = results.find((result) => /baseline/i.test(result.name));
  const baseline: Figure | undefined =
    baselineResult === undefined ? undefined : { ...baselineResult, name: nameOf(baselineResult) };
  return results.map((result) => {
    const figure: Figure = { name: nameOf(result), value: result.value, unit: result.unit };
    const ratioApplies =
      baseline !== undefined &&
      result !== baselineResult &&
      result.unit.endsWith('/s') &&
      baseline.unit.endsWith('/s');
    const comparison = ratioApplies ? compare(result.value, baseline) : undefined;
    return comparison === undefined ? figure : { ...figure, comparisons: [comparison] };
  });
}

export async function benchLogGroup(): Promise<Figure[]> {
  return figuresOf('log', validateResults('log', await benchLog()));
}

// The Raft core's benchmark is written separately; a build without it runs the other groups.
const raftCoreModule = new URL('./raft-core.js', import.meta.url);

export function raftCoreAvailable(): boolean {
  return fs.existsSync(fileURLToPath(raftCoreModule));
}

export async function benchRaftGroup(): Promise<Figure[]> {
  const loaded: unknown = await import(raftCoreModule.href);
  const run = (loaded as Record<string, unknown>)['benchRaftCore'];
  if (typeof run !== 'function') throw new GroupResultError('raft', 'the module exports no benchRaftCore()');
  const results: unknown = await (run as () => Promise<unknown>)();
  return figuresOf('raft', validateResults('raft', results));
}
