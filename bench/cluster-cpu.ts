// Processor time that processes spent on a load. On a machine whose cores are shared with other work, a
// rate moves with the neighbours, but the processor time each request costs moves much less: it says how
// much work a system does per request, and which of its processes does it.
import fs from 'node:fs';

/** Linux reports utime and stime in clock ticks of 1/100 s (USER_HZ) whatever the kernel's own rate. */
const millisecondsPerClockTick = 10;

/**
 * User plus system time of process `pid` (all its threads) so far, in milliseconds; undefined once the
 * process is gone.
 */
export function processCpuMilliseconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces; fields are counted after it.
  const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 (utime) and 15 (stime) of the whole line are 12th and 13th after the name and state.
  const userTicks = Number(afterName[11]);
  const systemTicks = Number(afterName[12]);
  if (!Number.isFinite(userTicks) || !Number.isFinite(systemTicks)) return undefined;
  return (userTicks + systemTicks) * millisecondsPerClockTick;
}

/** User plus system time of this process so far, in milliseconds. */
export function ownCpuMilliseconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Processor time spent on the requests of one load (or of several rounds of it, merged). */
export interface CpuTally {
  /** Requests answered, right or wrong, while the time was counted. */
  readonly requests: number;
  /** Milliseconds of each cluster member, by its role (`leader`, `follower-1`, …). */
  readonly membersMs: ReadonlyMap<string, number>;
  /** Milliseconds of the benchmark's own process, which generates the load. */
  readonly loadGeneratorMs: number;
}

export const emptyCpuTally: CpuTally = { requests: 0, membersMs: new Map(), loadGeneratorMs: 0 };

export function mergeCpuTallies(first: CpuTally, second: CpuTally): CpuTally {
  const membersMs = new Map(first.membersMs);
  for (const [role, milliseconds] of second.membersMs) {
    membersMs.set(role, (membersMs.get(role) ?? 0) + milliseconds);
  }
  return {
    requests: first.requests + second.requests,
    membersMs,
    loadGeneratorMs: first.loadGeneratorMs + second.loadGeneratorMs,
  };
}
