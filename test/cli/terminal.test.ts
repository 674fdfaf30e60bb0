// The shell as a person uses it: on a pseudo-terminal, typing. Prompts, continuation of statements,
// Ctrl-C, Ctrl-D, history across sessions, coloured errors and progress bars are only visible here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningNode } from './support/processes.js';
import { makeTempDir, rqlitedAvailable, shellEnvironment, startReferenceNode } from './support/processes.js';
import { StandInNode } from './support/stand-in-node.js';
import { keys, terminalAvailable, TerminalSession } from './support/terminal.js';

const skip = !rqlitedAvailable
  ? 'rqlited is not installed'
  : !terminalAvailable
    ? 'script(1) is not available'
    : false;

describe('dust on a terminal', { skip }, () => {
  let node: RunningNode;
  let work: string;
  let home: string;
  const sessions: TerminalSession[] = [];

  before(async () => {
    node = await startReferenceNode();
    work = makeTempDir('terminal');
    home = makeTempDir('home');
  });

  after(async () => {
    for (const session of sessions) session.kill();
    await node.stop();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });

  function open(extraEnv: Record<string, string> = {}): TerminalSession {
    const session = new TerminalSession(
      ['-p', String(node.httpPort)],
      shellEnvironment(home, extraEnv),
      work,
    );
    sessions.push(session);
    return session;
  }

  it('prompts, continues statements, cancels with Ctrl-C, colours errors, leaves with Ctrl-D', async () => {
    const prompt = `127.0.0.1:${node.httpPort}> `;
    const continuation = `${' '.repeat(prompt.length - 5)}...> `;
    const session = open();
    await session.waitFor(`Welcome to the Dust shell`);
    await session.waitFor(`Connected to http://127.0.0.1:${node.httpPort}/ running version`);
    await session.waitFor(prompt);

    session.type(`SELECT${keys.enter}`);
    await session.waitFor(`SELECT\n${continuation}`);
    session.type(`  42 AS answer;${keys.enter}`);
    await session.waitFor('| answer |\n+--------+\n| 42     |\n+--------+\n');
    await session.waitFor(prompt);

    // Ctrl-C throws away the unfinished statement and the line being typed.
    session.type(`SELECT 'never${keys.enter}`);
    await session.waitFor(continuation);
    session.type(`more text${keys.ctrlC}`);
    await session.waitFor(`^C\n${prompt}`);
    session.type(`SELECT 6 AS six;${keys.enter}`);
    await session.waitFor('| six |\n+-----+\n| 6   |\n');
    assert.doesNotMatch(session.text, /never'/);

    session.type(`SELECT nope;${keys.enter}`);
    await session.waitFor('Error: no such column: nope\n');
    assert.ok(
      session.rawOutput.includes('\u001b[31mError:\u001b[0m no such column: nope'),
      'a red Error label',
    );

    session.type(`SELECT 77 AS last;${keys.enter}`);
    await session.waitFor('| 77   |');
    await session.waitFor(prompt);
    session.type(keys.ctrlD);
    assert.equal(await session.exit(), 0);

    const history = fs.readFileSync(path.join(home, '.dust_history'), 'utf8');
    assert.match(history, /SELECT 6 AS six;\nSELECT nope;\nSELECT 77 AS last;\n$/);
  });

  it('recalls history from an earlier session with the up arrow, keeping DUST_HISTFILESIZE lines', async () => {
    const session = open({ DUST_HISTFILESIZE: '2' });
    await session.waitFor(`127.0.0.1:${node.httpPort}> `);
    session.type(keys.up);
    await session.waitFor('SELECT 77 AS last;');
    session.type(keys.enter);
    await session.waitFor('| 77   |');
    session.type(`.exit${keys.enter}`);
    assert.equal(await session.exit(), 0);
    assert.equal(fs.readFileSync(path.join(home, '.dust_history'), 'utf8'), 'SELECT 77 AS last;\n.exit\n');
  });

  it('draws progress bars for large backups, dumps, restores and boots', async () => {
    const backup = path.join(work, 'big.sqlite');
    const dump = path.join(work, 'big.sql');
    const session = open();
    await session.waitFor(`127.0.0.1:${node.httpPort}> `);
    session.type(`CREATE TABLE big (b BLOB); INSERT INTO big VALUES (zeroblob(1500000));${keys.enter}`);
    await session.waitFor('1 row affected');
    session.type(`.backup ${backup}${keys.enter}`);
    await session.waitFor(/Backup written to .*big\.sqlite \(1\.\d MiB\)\./);
    session.type(`.dump ${dump}${keys.enter}`);
    await session.waitFor(/Dump written to .*big\.sql \(2\.\d MiB\)\./);
    session.type(`.restore ${backup}${keys.enter}`);
    await session.waitFor('Database restored successfully.');
    session.type(`.boot ${backup}${keys.enter}`);
    await session.waitFor('Node booted successfully.');
    session.type(`SELECT length(b) AS size FROM big;${keys.enter}`);
    await session.waitFor('| 1500000 |');
    session.type(keys.ctrlD);
    assert.equal(await session.exit(), 0);
    // Uploads know their size and show a percentage; a download whose size the node does not announce
    // (a streamed backup) shows the bytes received so far.
    for (const label of ['restore', 'boot']) {
      assert.match(
        session.text,
        new RegExp(`${label} \\[#+\\] 100% \\d\\.\\d MiB / \\d\\.\\d MiB\\n`),
        label,
      );
    }
    for (const label of ['backup', 'dump']) {
      const finalBar = new RegExp(
        `(${label} \\[#+\\] 100% \\d\\.\\d MiB / \\d\\.\\d MiB|${label} \\d\\.\\d MiB)\\n\\w+ written to`,
      );
      assert.match(session.text, finalBar, label);
    }
  });
});

describe(
  'dust on a terminal, interrupting a slow request',
  { skip: terminalAvailable ? false : 'script(1) is not available' },
  () => {
    it('stops the running request on Ctrl-C and prompts again', async () => {
      const node = new StandInNode();
      node.replies = new Map([
        ['POST /db/request', { status: 200, body: '{"results":[]}', delayMs: 20_000 }],
      ]);
      const port = await node.start();
      const home = makeTempDir('home');
      const session = new TerminalSession(['-p', String(port)], shellEnvironment(home), home);
      try {
        await session.waitFor(`127.0.0.1:${port}> `);
        session.type(`SELECT 1;${keys.enter}`);
        await session.waitFor('SELECT 1;\n');
        // The request is on its way (the node has it) before Ctrl-C is pressed.
        const deadline = Date.now() + 10_000;
        while (
          !node.requests.some((request) => request.url.startsWith('/db/request')) &&
          Date.now() < deadline
        ) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        session.type(keys.ctrlC);
        await session.waitFor(`Error: interrupted\n127.0.0.1:${port}> `, 5_000);
        session.type(keys.ctrlD);
        assert.equal(await session.exit(), 0);
      } finally {
        session.kill();
        await node.stop();
        fs.rmSync(home, { recursive: true, force: true });
      }
    });
  },
);
