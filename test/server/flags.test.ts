import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';

import { buildConfig } from '../../src/server/config.js';
import { FlagError, parseCommandLine, usageText } from '../../src/server/flags.js';
import { flagSpecs } from '../../src/server/flag-spec.js';

function config(...argv: string[]) {
  return buildConfig(parseCommandLine(argv));
}

describe('command line in rqlited syntax', () => {
  it('accepts -flag value, -flag=value and --flag forms with the data directory last', () => {
    const c = config('-node-id', '7', '--http-addr=127.0.0.1:5001', '-raft-addr', '127.0.0.1:5002', 'data');
    assert.equal(c.nodeId, '7');
    assert.deepEqual(c.httpAddr, { host: '127.0.0.1', port: 5001 });
    assert.deepEqual(c.raftAddr, { host: '127.0.0.1', port: 5002 });
    assert.equal(c.dataDir, path.resolve('data'));
  });

  it('accepts flags after the data directory', () => {
    assert.equal(config('data', '-fk').foreignKeys, true);
  });

  it('reads booleans as -flag and -flag=true|false, not -flag false', () => {
    assert.equal(config('-on-disk', 'd').onDisk, true);
    assert.equal(config('-on-disk=false', 'd').onDisk, false);
    assert.equal(config('-on-disk=1', 'd').onDisk, true);
    assert.throws(() => config('-on-disk', 'false', 'd'), /only one data directory/);
    assert.throws(() => config('-on-disk=maybe', 'd'), /invalid value "maybe" for flag -on-disk/);
  });

  it('applies rqlited defaults', () => {
    const c = config('d');
    assert.deepEqual(c.httpAddr, { host: 'localhost', port: 4001 });
    assert.deepEqual(c.raftAddr, { host: 'localhost', port: 4002 });
    assert.equal(c.nodeId, 'localhost:4002');
    assert.equal(c.snapshotThresholdEntries, 8192);
    assert.equal(c.snapshotIntervalMs, 10_000);
    assert.equal(c.onDisk, false);
    assert.equal(c.onDiskPath, path.join(path.resolve('d'), 'db.sqlite'));
  });

  it('parses Go durations and integers in Go syntax', () => {
    assert.equal(config('-raft-snap-int', '1m30s', 'd').snapshotIntervalMs, 90_000);
    assert.equal(config('-raft-snap=0x10', 'd').snapshotThresholdEntries, 16);
    assert.equal(config('-raft-snap=1_000', 'd').snapshotThresholdEntries, 1000);
  });

  it('names the flag and the problem for bad input', () => {
    const cases: [string[], RegExp][] = [
      [['-nope', 'd'], /flag provided but not defined: -nope/],
      [['-raft-snap', 'many', 'd'], /invalid value "many" for flag -raft-snap: not an integer/],
      [['-raft-snap', '0', 'd'], /-raft-snap: must be at least 1/],
      [['-raft-snap-int', '10', 'd'], /invalid value "10" for flag -raft-snap-int: not a duration/],
      [['-http-addr', 'http://localhost:1', 'd'], /-http-addr: give host:port without a scheme/],
      [['-http-addr', 'localhost', 'd'], /-http-addr: expected host:port/],
      [['-http-addr'], /flag needs an argument: -http-addr/],
      [[], /no data directory given/],
      [['a', 'b'], /only one data directory may be given/],
      [['-http-addr', 'x:1', '-raft-addr', 'x:1', 'd'], /must differ/],
      [['-on-disk-path', '/tmp/x.db', 'd'], /-on-disk-path needs -on-disk/],
      [['-raft-log-level', 'LOUD', 'd'], /-raft-log-level/],
      [['---x', 'd'], /bad flag syntax/],
    ];
    for (const [argv, message] of cases) {
      assert.throws(
        () => config(...argv),
        (error: unknown) => {
          assert.ok(error instanceof FlagError, `${argv.join(' ')} threw ${String(error)}`);
          assert.match(error.message, message);
          assert.ok(!error.message.includes('\n'), 'one line');
          return true;
        },
      );
    }
  });

  it('reports flags whose feature is not built yet, only when given', () => {
    assert.deepEqual(config('d').notSupportedYet, []);
    const reported = config('-disco-mode', 'dns', '-auth', 'a.json', 'd').notSupportedYet.map((f) => f.flag);
    assert.deepEqual(reported.sort(), ['auth', 'disco-mode']);
  });

  it('accepts the old -raft-timeout spelling', () => {
    assert.ok(parseCommandLine(['-raft-timeout', '2s', 'd']).given.has('raft-heartbeat-timeout'));
  });

  it('documents every flag in -h', () => {
    const usage = usageText();
    for (const spec of flagSpecs) assert.ok(usage.includes(`  -${spec.name}`), spec.name);
    assert.ok(parseCommandLine(['-h']).help);
    assert.ok(parseCommandLine(['--help']).help);
  });
});

describe('Raft timing flags', () => {
  it('default to rqlite’s one-second timeouts: ten heartbeats per timeout, elections after ten ticks', () => {
    const { raftTiming } = config('data');
    assert.deepEqual(raftTiming, {
      heartbeatTimeoutMs: 1000,
      electionTimeoutMs: 1000,
      tickIntervalMs: 100,
      electionTimeoutTicks: 10,
      heartbeatIntervalTicks: 1,
    });
  });

  it('shorten the tick for short timeouts and lengthen the heartbeat interval for long ones', () => {
    const short = config('-raft-timeout', '200ms', '-raft-election-timeout', '500ms', 'data').raftTiming;
    assert.equal(short.tickIntervalMs, 20);
    assert.equal(short.heartbeatIntervalTicks, 1);
    assert.equal(short.electionTimeoutTicks, 25);
    const long = config('-raft-heartbeat-timeout=5s', '-raft-election-timeout=10s', 'data').raftTiming;
    assert.equal(long.tickIntervalMs, 100);
    assert.equal(long.heartbeatIntervalTicks, 5);
    assert.equal(long.electionTimeoutTicks, 100);
  });

  it('refuse an election timeout shorter than the heartbeat timeout, and a heartbeat timeout under 100ms', () => {
    assert.throws(
      () => config('-raft-heartbeat-timeout', '2s', '-raft-election-timeout', '1s', 'data'),
      (error: unknown) =>
        error instanceof FlagError &&
        /-raft-election-timeout \(1000ms\) must be at least/.test(error.message),
    );
    assert.throws(
      () => config('-raft-timeout', '50ms', 'data'),
      (error: unknown) => error instanceof FlagError && /at least 100ms/.test(error.message),
    );
  });
});
