// dustd's command line as a user meets it: help, version, and one clear line with exit status 2 for
// anything it cannot use.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { DustdProcess, runDustd } from './harness.js';

describe('dustd command line', () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'dust-cli-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('documents every flag with -h and exits 0', async () => {
    const { code, stdout } = await runDustd(['-h']);
    assert.equal(code, 0);
    for (const flag of ['-http-addr', '-raft-addr', '-node-id', '-join', '-on-disk', '-raft-snap', '-fk']) {
      assert.ok(stdout.includes(`  ${flag}`), `-h lists ${flag}`);
    }
    assert.match(stdout, /Usage: dustd \[flags\] DATA_DIR/);
  });

  it('prints its version', async () => {
    const { code, stdout } = await runDustd(['-version']);
    assert.equal(code, 0);
    assert.match(stdout, /^dustd v\d+\.\d+\.\d+/);
  });

  it('refuses bad input with one line naming the flag, exit status 2', async () => {
    const cases: [string[], RegExp][] = [
      [['-no-such-flag', scratch], /flag provided but not defined: -no-such-flag/],
      [['-raft-snap', 'lots', scratch], /invalid value "lots" for flag -raft-snap/],
      [['-http-addr', 'http://x:1', scratch], /-http-addr: give host:port without a scheme/],
      [['-raft-snap-int=5', scratch], /-raft-snap-int: not a duration/],
      [[], /no data directory given/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr, stdout } = await runDustd(args);
      assert.equal(code, 2, `${args.join(' ')}: exit status`);
      assert.equal(stdout, '');
      const lines = stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `${args.join(' ')}: one line, got ${stderr}`);
      assert.match(lines[0] ?? '', message);
    }
  });

  it('reports each given flag that is not supported yet, once, and runs', async () => {
    const node = await DustdProcess.start({ flags: ['-auth', 'creds.json', '-extensions-path', 'ext.so'] });
    try {
      const authLines = node.output
        .split('\n')
        .filter((line) => line.includes('-auth is accepted but not supported yet'));
      assert.equal(authLines.length, 1);
      assert.match(node.output, /-extensions-path is accepted but not supported yet/);
      assert.doesNotMatch(node.output, /-join is accepted/);
      const ready = await node.get('/readyz');
      assert.equal(ready.status, 200);
    } finally {
      await node.cleanup();
    }
  });

  it('refuses a data directory another dustd is using', async () => {
    const first = await DustdProcess.start();
    try {
      const { code, stderr } = await runDustd([
        '-http-addr',
        '127.0.0.1:0',
        '-raft-addr',
        '127.0.0.1:0',
        first.dataDir,
      ]);
      assert.equal(code, 1);
      assert.match(stderr, new RegExp(`in use by dustd process ${first.pid}`));
    } finally {
      await first.cleanup();
    }
  });

  it('gives up joining a cluster nobody answers for, naming each address, and exits 1', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'dust-join-'));
    try {
      const { code, stderr } = await runDustd([
        '-http-addr',
        '127.0.0.1:0',
        '-raft-addr',
        '127.0.0.1:0',
        '-join',
        '127.0.0.1:1,http://127.0.0.1:1',
        '-join-attempts',
        '2',
        '-join-interval',
        '50ms',
        dataDir,
      ]);
      assert.equal(code, 1);
      assert.match(
        stderr,
        /could not join the cluster after 2 attempts \(127\.0\.0\.1:1: .*; http:\/\/127\.0\.0\.1:1: /,
      );
      // The node left no cluster of its own behind: started again with the same directory it still joins.
      const again = await runDustd([
        '-http-addr',
        '127.0.0.1:0',
        '-raft-addr',
        '127.0.0.1:0',
        '-join',
        '127.0.0.1:1',
        '-join-attempts',
        '1',
        dataDir,
      ]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /could not join the cluster after 1 attempts/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a peers.json it cannot use, naming the file, and changes nothing', async () => {
    const node = await DustdProcess.start();
    try {
      const written = await node.post('/db/execute', ['CREATE TABLE t (v)', "INSERT INTO t VALUES ('kept')"]);
      assert.equal(written.status, 200, written.text);
      await node.kill('SIGTERM');
      const peersFile = path.join(node.dataDir, 'raft', 'peers.json');
      writeFileSync(peersFile, '[{"id": "1"}]');
      const refused = await runDustd([
        '-http-addr',
        '127.0.0.1:0',
        '-raft-addr',
        '127.0.0.1:0',
        node.dataDir,
      ]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /peers\.json: member 1 \(id 1\) has no "address" of the form host:port/);
      assert.ok(existsSync(peersFile), 'the file is left for the operator to fix');
      // Without the file the node starts as it was, its data intact.
      rmSync(peersFile);
      const again = await DustdProcess.start({ dataDir: node.dataDir });
      try {
        const read = await again.get('/db/query?level=strong&q=SELECT%20v%20FROM%20t');
        assert.match(read.text, /"values":\[\["kept"\]\]/);
      } finally {
        await again.kill('SIGTERM');
      }
    } finally {
      await node.cleanup();
    }
  });

  it('refuses a peers.json in a directory with nothing to recover', async () => {
    const dataDir = mkdtempSync(path.join(scratch, 'peers-'));
    mkdirSync(path.join(dataDir, 'raft'));
    writeFileSync(path.join(dataDir, 'raft', 'peers.json'), '[{"id": "1", "address": "127.0.0.1:4002"}]');
    const { code, stderr } = await runDustd([
      '-http-addr',
      '127.0.0.1:0',
      '-raft-addr',
      '127.0.0.1:0',
      dataDir,
    ]);
    assert.equal(code, 1);
    assert.match(stderr, /peers\.json asks for a recovery, but this node has no state to recover/);
  });
});
