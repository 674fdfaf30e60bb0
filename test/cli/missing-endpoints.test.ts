// The shell against a node that lacks endpoints, or answers in ways a healthy node rarely does: every
// command must print the node's answer as a clear error and carry on, never crash. A small stand-in node
// (an HTTP server in this process) records what the shell sends, so the requests themselves are checked.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, runShell, shellEnvironment } from './support/processes.js';
import type { Reply } from './support/stand-in-node.js';
import { StandInNode } from './support/stand-in-node.js';

describe('dust against a node without the endpoints', () => {
  let node: StandInNode;
  let port: number;
  let work: string;
  let home: string;

  before(async () => {
    node = new StandInNode();
    port = await node.start();
    work = makeTempDir('stand-in');
    home = makeTempDir('home');
  });

  after(async () => {
    await node.stop();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('reports every missing endpoint clearly, leaves no partial files, and exits 1', async () => {
    const sqlFile = path.join(work, 'dump.sql');
    fs.writeFileSync(sqlFile, 'CREATE TABLE t(a);\n');
    const databaseFile = path.join(work, 'db.sqlite');
    fs.writeFileSync(
      databaseFile,
      Buffer.concat([Buffer.from('SQLite format 3\u0000', 'latin1'), Buffer.alloc(84)]),
    );
    const commands = [
      ['SELECT 1;', 'POST /db/request'],
      [`.backup ${path.join(work, 'backup.sqlite')}`, 'GET /db/backup'],
      [`.dump ${path.join(work, 'out.sql')}`, 'GET /db/backup'],
      ['.dump', 'GET /db/backup'],
      [`.restore ${sqlFile}`, 'POST /db/load'],
      [`.restore ${databaseFile}`, 'POST /db/load'],
      [`.boot ${databaseFile}`, 'POST /boot'],
      ['.snapshot', 'POST /snapshot'],
      ['.reap', 'POST /reap'],
      ['.nodes', 'GET /nodes'],
      ['.leader', 'GET /nodes'],
      ['.stepdown', 'POST /leader'],
      ['.remove 2', 'DELETE /remove'],
      ['.expvar', 'GET /debug/vars'],
      ['.tables', 'POST /db/query'],
      ['.schema', 'POST /db/query'],
      ['.indexes', 'POST /db/query'],
    ] as const;
    const run = await runShell(['-p', String(port)], {
      input: `${commands.map(([line]) => line).join('\n')}\n.ready\n.sysdump ${path.join(work, 'sysdump.txt')}\n`,
      env: shellEnvironment(home),
      cwd: work,
    });
    const errors = run.stderr.split('\n').filter((line) => line !== '');
    assert.equal(errors.length, commands.length + 1, run.stderr);
    commands.forEach(([line, endpoint], index) => {
      assert.equal(
        errors[index],
        `Error: ${endpoint} answered HTTP 404 Not Found: this node does not offer ${endpoint.split(' ')[1] ?? ''}`,
        line,
      );
    });
    assert.equal(errors.at(-1), 'Error: node not ready: HTTP 404');
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack traces');
    assert.equal(run.status, 1);
    // .sysdump still writes what it could get, noting that the node list was not available.
    assert.match(run.stdout, /System diagnostics of 1 node\(s\) written to /);
    const dump = fs.readFileSync(path.join(work, 'sysdump.txt'), 'utf8');
    assert.match(dump, /^Could not list the nodes \(GET \/nodes answered HTTP 404/);
    assert.ok(dump.includes(`URL: http://127.0.0.1:${port}/status?pretty\nStatus: 200 OK\n\n{}`));
    assert.ok(dump.includes(`URL: http://127.0.0.1:${port}/readyz\nStatus: 404 Not Found\n`));
    assert.deepEqual(fs.readdirSync(work).sort(), ['db.sqlite', 'dump.sql', 'sysdump.txt']);
  });

  it('sends well-formed requests: prefix, credentials, parameters and bodies', async () => {
    node.replies = new Map<string, Reply>([
      [
        'POST /api/db/request',
        { status: 200, body: '{"results":[{"columns":["1"],"types":["integer"],"values":[[1]]}]}' },
      ],
      ['POST /api/db/query', { status: 200, body: '{"results":[{"columns":["name"],"types":["text"]}]}' }],
      ['DELETE /api/remove', { status: 200 }],
      ['POST /api/leader', { status: 200 }],
      ['POST /api/snapshot', { status: 204 }],
      ['GET /api/readyz', { status: 503, body: '[+]node ok\n[+]leader does not exist', type: 'text/plain' }],
    ]);
    node.requests.length = 0;
    const run = await runShell(['-p', String(port), '-P', '/api', '-u', 'bob:se:cret'], {
      input: [
        'SELECT 1;',
        '.timer on',
        '.blobarray on',
        '.consistency none',
        'SELECT 1;',
        '.tables t%',
        '.remove node2',
        '.stepdown n3',
        '.stepdown',
        '.snapshot 5',
        '.ready',
      ].join('\n'),
      env: shellEnvironment(home),
    });
    assert.equal(run.stderr, 'Error: node not ready: [+]node ok, [+]leader does not exist\n');
    assert.match(
      run.stdout,
      /Node node2 removed from the cluster\.\nLeadership transferred\.\nLeadership transferred\.\nNothing new to snapshot\.\n$/,
    );
    const token = `Basic ${Buffer.from('bob:se:cret').toString('base64')}`;
    for (const request of node.requests) assert.equal(request.headers.authorization, token, request.url);
    const seen = node.requests.map((request) => `${request.method} ${request.url} ${request.body}`);
    assert.deepEqual(seen, [
      'GET /api/status ',
      'POST /api/db/request?level=weak ["SELECT 1;"]',
      'POST /api/db/request?timings&blob_array&level=none ["SELECT 1;"]',
      `POST /api/db/query?timings&blob_array&level=none ${JSON.stringify([["SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name LIKE ? ORDER BY name", 't%']])}`,
      'DELETE /api/remove {"id":"node2"}',
      'POST /api/leader?wait {"id":"n3"}',
      'POST /api/leader?wait ',
      'POST /api/snapshot?trailing_logs=5 ',
      'GET /api/readyz ',
    ]);
    assert.equal(node.requests[1]?.headers['content-type'], 'application/json');
  });

  it('prints request-level errors and non-JSON answers as errors', async () => {
    node.replies = new Map<string, Reply>([
      ['POST /db/request', { status: 200, body: '{"results":[],"error":"leader not found"}' }],
    ]);
    const first = await runShell(['-p', String(port)], { input: 'SELECT 1;', env: shellEnvironment(home) });
    assert.equal(first.stderr, 'Error: leader not found\n');
    node.replies = new Map<string, Reply>([
      ['POST /db/request', { status: 503, body: 'leader not found\n', type: 'text/plain' }],
    ]);
    const second = await runShell(['-p', String(port)], { input: 'SELECT 1;', env: shellEnvironment(home) });
    assert.equal(
      second.stderr,
      'Error: POST /db/request answered HTTP 503 Service Unavailable: leader not found\n',
    );
    node.replies = new Map<string, Reply>([
      ['POST /db/request', { status: 200, body: '<html>busy</html>', type: 'text/html' }],
    ]);
    const third = await runShell(['-p', String(port)], { input: 'SELECT 1;', env: shellEnvironment(home) });
    assert.match(
      third.stderr,
      /^Error: the node sent a response that is not JSON \(.*\): <html>busy<\/html>\n$/,
    );
    assert.equal(third.status, 1);
  });

  it('moves to an alternative node when the current one goes down mid-session', async () => {
    const second = new StandInNode();
    const secondPort = await second.start();
    const first = new StandInNode();
    const firstPort = await first.start();
    const answer = {
      status: 200,
      body: '{"results":[{"columns":["n"],"types":["integer"],"values":[[1]]}]}',
    };
    first.replies = new Map<string, Reply>([['POST /db/request', answer]]);
    second.replies = new Map<string, Reply>([['POST /db/request', answer]]);
    // The first node goes down right after answering its first query.
    first.afterReply = (request) => {
      if (request.url.startsWith('/db/request')) void first.stop();
    };
    try {
      const run = await runShell(['-p', String(firstPort), '-a', `127.0.0.1:${secondPort}`], {
        input: 'SELECT 1;\nSELECT 2;\nSELECT 3;\n',
        env: shellEnvironment(home),
      });
      assert.equal(run.stderr, `Note: the node is unreachable; now using http://127.0.0.1:${secondPort}\n`);
      assert.equal(run.stdout.match(/\| 1 \|/g)?.length, 3);
      assert.equal(first.requests.filter((request) => request.url.startsWith('/db/request')).length, 1);
      assert.equal(second.requests.filter((request) => request.url.startsWith('/db/request')).length, 2);
    } finally {
      await second.stop();
      await first.stop().catch(() => undefined);
    }
  });
});
