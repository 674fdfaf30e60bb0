// Sends SQL to the node and prints what comes back: rows in the current mode, `N rows affected` for writes,
// the node's (SQLite's) error message for failures.
import { performance } from 'node:perf_hooks';
import type { ShellContext } from './context.js';
import { HttpStatusError, ServerReportedError } from './errors.js';
import { renderRows } from './render/modes.js';
import type { StatementResult } from './results.js';
import { parseSqlResponse } from './results.js';

export function affectedText(rowsAffected: number | bigint): string {
  return `${rowsAffected} ${rowsAffected === 1 || rowsAffected === 1n ? 'row' : 'rows'} affected`;
}

export function timerText(serverSeconds: number | undefined, roundTripSeconds: number): string {
  const roundTrip = `round trip ${roundTripSeconds.toFixed(6)} s`;
  return serverSeconds === undefined
    ? `Run Time: ${roundTrip}\n`
    : `Run Time: server ${serverSeconds.toFixed(6)} s, ${roundTrip}\n`;
}

function printResult(context: ShellContext, result: StatementResult, roundTripSeconds: number): void {
  const { settings, results } = context;
  switch (result.kind) {
    case 'error':
      throw new ServerReportedError(result.message);
    case 'rows':
      results.write(renderRows(result, settings.mode));
      if (settings.timer) results.write(timerText(result.timeSeconds, roundTripSeconds));
      return;
    case 'write':
      results.write(`${affectedText(result.rowsAffected)}\n`);
      if (settings.changes) results.write(`last insert ID: ${result.lastInsertId}\n`);
      if (settings.timer) results.write(timerText(result.timeSeconds, roundTripSeconds));
      return;
  }
}

async function sendSql(
  context: ShellContext,
  path: string,
  statement: string | readonly [string, ...string[]],
  level: string | undefined,
): Promise<void> {
  const { settings } = context;
  const started = performance.now();
  const response = await context.client.request({
    method: 'POST',
    path,
    query: { timings: settings.timer, blob_array: settings.blobArray, level },
    body: { kind: 'bytes', data: Buffer.from(JSON.stringify([statement])), contentType: 'application/json' },
    signal: context.signal,
  });
  const roundTripSeconds = (performance.now() - started) / 1000;
  if (response.status !== 200) {
    throw new HttpStatusError(
      'POST',
      `/${path}`,
      response.status,
      response.statusText,
      response.body.toString(),
    );
  }
  const parsed = parseSqlResponse(response.body.toString());
  if (parsed.error !== undefined) throw new ServerReportedError(parsed.error);
  for (const result of parsed.results) printResult(context, result, roundTripSeconds);
}

/**
 * Runs one statement typed by the user: through /db/request (which serves reads and writes alike), or
 * /db/execute with `.forcewrites on`. Throws the shell's typed errors.
 */
export async function runStatement(context: ShellContext, sql: string): Promise<void> {
  const { settings } = context;
  if (settings.forceWrites) await sendSql(context, 'db/execute', sql, undefined);
  else await sendSql(context, 'db/request', sql, settings.consistency);
}

/**
 * Runs a read the shell composes itself (`.tables`, `.schema`, `.indexes`) through /db/query with the
 * current consistency level, and prints the rows in the current mode.
 */
export async function runShellQuery(
  context: ShellContext,
  sql: string,
  parameters: readonly string[] = [],
): Promise<void> {
  const statement: string | readonly [string, ...string[]] =
    parameters.length === 0 ? sql : [sql, ...parameters];
  await sendSql(context, 'db/query', statement, context.settings.consistency);
}
