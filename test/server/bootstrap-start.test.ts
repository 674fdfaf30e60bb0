import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { DurableLog, SnapshotStore } from '../../src/log/index.js';
import { buildConfig } from '../../src/server/config.js';
import { FlagError, parseCommandLine } from '../../src/server/flags.js';
import { forgetUnjoinedStart, startStateOf } from '../../src/server/start-state.js';

function config(...argv: string[]) {
  return buildConfig(parseCommandLine(argv));
}

describe('-bootstrap-expect on the command line', () => {
  it('is off by default, and waits 120 s at most when on', () => {
    assert.equal(config('d').bootstrapExpect, 0);
    const on = config('-bootstrap-expect', '3', '-join', 'a:1,b:1,c:1', 'd');
    assert.equal(on.bootstrapExpect, 3);
    assert.equal(on.bootstrapExpectTimeoutMs, 120_000);
    assert.deepEqual(on.joinTargets, ['a:1', 'b:1', 'c:1']);
    assert.deepEqual(on.notSupportedYet, []);
    assert.equal(
      config('-bootstrap-expect', '3', '-join', 'a:1', '-bootstrap-expect-timeout', '2s', 'd')
        .bootstrapExpectTimeoutMs,
      2_000,
    );
  });

  it('refuses what cannot form a cluster, in one line naming the flags', () => {
    const refused: [string[], RegExp][] = [
      [['-bootstrap-expect', '3', 'd'], /-bootstrap-expect needs -join/],
      [['-bootstrap-expect', '3', '-join', 'a:1', '-raft-non-voter', 'd'], /-raft-non-voter/],
      [['-bootstrap-expect', '3', '-join', 'a:1,http://b:4001', 'd'], /Raft addresses .*http:\/\/b:4001/],
      [['-bootstrap-expect', '-1', '-join', 'a:1', 'd'], /-bootstrap-expect: must be at least 0/],
      [['-bootstrap-expect', '3', '-join', 'a:1', '-bootstrap-expect-timeout', '0s', 'd'], /positive/],
    ];
    for (const [argv, message] of refused) {
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
    // A read replica may still join with -join alone.
    assert.equal(config('-join', 'a:1', '-raft-non-voter', 'd').nonVoter, true);
  });
});

describe('what a data directory holds before the node opens', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-start-state-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const warnings = { warn: (message: string) => assert.fail(`unexpected warning: ${message}`) };
  let count = 0;
  const freshDirectory = (): string => {
    const directory = path.join(root, `node-${++count}`);
    fs.mkdirSync(directory);
    return directory;
  };

  async function saveStart(dataDir: string, voters: string[], data = new Uint8Array()): Promise<void> {
    const store = await SnapshotStore.open(path.join(dataDir, 'raft', 'snapshots'), { warnings });
    const metadata = new TextEncoder().encode(JSON.stringify({ voters, learners: [], members: {} }));
    await store.save({ index: 0, term: 0, metadata }, data);
  }

  it('is new when nothing was ever stored', async () => {
    assert.equal(await startStateOf(freshDirectory(), warnings), 'new');
  });

  it('is unjoined after a join that never got the node added, and can be made new again', async () => {
    const dataDir = freshDirectory();
    await saveStart(dataDir, []);
    assert.equal(await startStateOf(dataDir, warnings), 'unjoined');
    await forgetUnjoinedStart(dataDir, warnings);
    assert.equal(await startStateOf(dataDir, warnings), 'new');
  });

  it('is a member with a configuration of its own, which is never removed', async () => {
    const dataDir = freshDirectory();
    await saveStart(dataDir, ['1']);
    assert.equal(await startStateOf(dataDir, warnings), 'member');
    await assert.rejects(forgetUnjoinedStart(dataDir, warnings), /left in place/);
    assert.equal(await startStateOf(dataDir, warnings), 'member');
  });

  it('is a member once its log holds entries, even with an empty configuration', async () => {
    const dataDir = freshDirectory();
    await saveStart(dataDir, []);
    const log = await DurableLog.open(path.join(dataDir, 'raft', 'log'), { warnings });
    await log.persist({ entries: [{ index: 1, term: 2, kind: 0, data: new Uint8Array([1]) }] });
    await log.close();
    assert.equal(await startStateOf(dataDir, warnings), 'member');
    await assert.rejects(forgetUnjoinedStart(dataDir, warnings));
  });
});
