// A closed-loop HTTP load generator: `clients` workers, each with its own keep-alive connection, send one
// request, wait for its answer, check it, and send the next. Closed-loop load measures what the server
// sustains with that many requests outstanding, which is what a pool of application threads sees.
//
// A load is bounded twice: by time (a warm-up that is not measured, then the measured window) and by a
// count of requests. Only answers that complete inside the measured window count towards throughput and
// latency; failures are counted over the whole load, warm-up included, because any failure is news.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { sendRequest, type HttpRequestSpec, type HttpTarget } from './http-send.js';
import { checkResponse, type ResponseExpectation } from './response-check.js';

export interface PreparedRequest extends HttpRequestSpec {
  readonly expectation: ResponseExpectation;
}

export interface LoadOptions {
  readonly target: HttpTarget;
  /** Concurrent closed-loop workers, one keep-alive connection each. */
  readonly clients: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** A bound on requests sent, warm-up included, whatever the time. */
  readonly requestsMax: number;
  readonly requestTimeoutMs: number;
  /** The request to send as number `sequence` (0, 1, 2, … across all workers). */
  readonly request: (sequence: number) => PreparedRequest;
}

/** One failed request, kept so that a report can show exactly what failed. */
export interface FailureSample {
  readonly request: string;
  readonly reason: string;
}

/** What one load (or several merged) measured. */
export interface LoadTally {
  /** Correct answers completed inside the measured window. */
  readonly succeeded: number;
  /** Wrong answers and network errors over the whole load. */
  readonly failed: number;
  /** Length of the measured window. */
  readonly seconds: number;
  /** Latencies of the counted answers, unsorted. */
  readonly latenciesMs: readonly number[];
  /** Requests still unanswered when the load's hard deadline passed. */
  readonly abandoned: number;
  readonly failureSamples: readonly FailureSample[];
}

export const emptyTally: LoadTally = {
  succeeded: 0,
  failed: 0,
  seconds: 0,
  latenciesMs: [],
  abandoned: 0,
  failureSamples: [],
};

const failureSamplesMax = 3;
/** A worker whose request failed at the network level pauses, so a dead server is not hammered. */
const networkErrorPauseMs = 10;
/** How much of a request body a failure sample quotes. */
const sampleBodyCharsMax = 200;

/** Adds two tallies, as when a load is measured in several rounds that take turns with other loads. */
export function mergeTallies(first: LoadTally, second: LoadTally): LoadTally {
  return {
    succeeded: first.succeeded + second.succeeded,
    failed: first.failed + second.failed,
    seconds: first.seconds + second.seconds,
    latenciesMs: first.latenciesMs.concat(second.latenciesMs),
    abandoned: first.abandoned + second.abandoned,
    failureSamples: first.failureSamples.concat(second.failureSamples).slice(0, failureSamplesMax),
  };
}

export function describeRequest(spec: HttpRequestSpec): string {
  if (spec.body === undefined) return `${spec.method} ${spec.path}`;
  const body =
    spec.body.length <= sampleBodyCharsMax ? spec.body : `${spec.body.slice(0, sampleBodyCharsMax)}…`;
  return `${spec.method} ${spec.path} ${body}`;
}

function validateOptions(options: LoadOptions): void {
  const positive: Array<[string, number]> = [
    ['clients', options.clients],
    ['requestsMax', options.requestsMax],
    ['requestTimeoutMs', options.requestTimeoutMs],
    ['durationMs', options.durationMs],
  ];
  for (const [name, value] of positive) {
    if (!(Number.isInteger(value) && value > 0)) throw new RangeError(`${name} must be a positive integer`);
  }
  if (!(options.warmupMs >= 0)) throw new RangeError('warmupMs must not be negative');
}

export async function runLoad(options: LoadOptions): Promise<LoadTally> {
  validateOptions(options);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients });
  const startedAt = performance.now();
  const measureFrom = startedAt + options.warmupMs;
  const stopAt = measureFrom + options.durationMs;
  let issued = 0;
  let inFlight = 0;
  let succeeded = 0;
  let failed = 0;
  let lastCountedAt = measureFrom;
  const latenciesMs: number[] = [];
  const failureSamples: FailureSample[] = [];

  const recordFailure = (prepared: PreparedRequest, reason: string): void => {
    failed++;
    if (failureSamples.length < failureSamplesMax) {
      failureSamples.push({ request: describeRequest(prepared), reason });
    }
  };

  const worker = async (): Promise<void> => {
    while (performance.now() < stopAt && issued < options.requestsMax) {
      const prepared = options.request(issued++);
      const sentAt = performance.now();
      inFlight++;
      try {
        const answer = await sendRequest(options.target, prepared, agent, options.requestTimeoutMs);
        const verdict = checkResponse(prepared.expectation, answer.statusCode, answer.body);
        const answeredAt = performance.now();
        if (verdict !== undefined) {
          recordFailure(prepared, verdict);
        } else if (sentAt >= measureFrom && answeredAt <= stopAt) {
          succeeded++;
          latenciesMs.push(answeredAt - sentAt);
          lastCountedAt = answeredAt;
        }
      } catch (error) {
        recordFailure(prepared, error instanceof Error ? error.message : String(error));
        await sleep(networkErrorPauseMs);
      } finally {
        inFlight--;
      }
    }
  };

  // Each request is bounded by its own timeout, so the workers end soon after stopAt; the hard deadline
  // only guards against a request whose timeout never fires.
  const hardDeadlineMs = stopAt - performance.now() + options.requestTimeoutMs + 1000;
  const deadline = new AbortController();
  const workers = Promise.all(Array.from({ length: options.clients }, worker));
  let abandoned = 0;
  try {
    const finishedInTime = await Promise.race([
      workers.then(() => true),
      sleep(hardDeadlineMs, false, { signal: deadline.signal }),
    ]);
    if (!finishedInTime) abandoned = inFlight;
  } finally {
    deadline.abort();
    agent.destroy();
  }
  // A load cut short by requestsMax measured only until its last counted answer.
  const windowEnd = issued >= options.requestsMax ? Math.min(stopAt, lastCountedAt) : stopAt;
  return {
    succeeded,
    failed,
    seconds: Math.max(0, windowEnd - measureFrom) / 1000,
    latenciesMs,
    abandoned,
    failureSamples,
  };
}
