// The shell as a script runs it: the real process, input through a pipe, against a real node (rqlited,
// the reference implementation of the API Dust serves).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import type { RunningNode, ShellRun } from './support/processes.js';
import {
  freePort,
  makeTempDir,
  repositoryRoot,
  rqlitedAvailable,
  runShell,
  shellEnvironment,
  startReferenceNode,
} from './support/processes.js';

const sqlite3Available = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).status === 0;

function sqlite3(database: string, input: string): string {
  const result = spawnSync('sqlite3', [database], { input, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

describe('dust through pipes', { skip: rqlitedAvailable ? false : 'rqlited is not installed' }, () => {
  let node: RunningNode;
  let work: string;
  let home: string;

  before(async () => {
    node = await startReferenceNode();
    work = makeTempDir('work');
    home = makeTempDir('home');
  });

  after(async () => {
    await node.stop();
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  });

  /** Runs the shell against the node; scripts never get prompts, banners or colours. */
  async function dust(input: string, args: readonly string[] = []): Promise<ShellRun> {
    const run = await runShell(['-p', String(node.httpPort), ...args], {
      input,
      env: shellEnvironment(home),
      cwd: work,
    });
    const printed = run.stdout + run.stderr;
    assert.equal(printed.includes('\u001b'), false, 'no terminal control sequences in a pipe');
    assert.doesNotMatch(printed, /Welcome|127\.0\.0\.1:\d+> /, 'no banner or prompt in a pipe');
    return run;
  }

  it('runs statements, prints bordered tables and row counts, and continues statements over lines', async () => {
    const run = await dust(
      [
        'CREATE TABLE students (id INTEGER NOT NULL PRIMARY KEY, name TEXT);',
        "INSERT INTO students(name) VALUES('ming');",
        "INSERT INTO students(name) VALUES('sinead'), ('fiona'); SELECT *",
        '  FROM students',
        '  ORDER BY id;',
      ].join('\n'),
    );
    assert.equal(run.stderr, '');
    assert.equal(run.status, 0);
    // A DDL statement reports the connection's last change count (rqlite does so too), so only the
    // shape of that first line is checked.
    assert.match(run.stdout, /^\d+ rows? affected\n/);
    assert.equal(
      run.stdout.replace(/^\d+ rows? affected\n/, ''),
      [
        '1 row affected',
        '2 rows affected',
        '+----+--------+',
        '| id | name   |',
        '+----+--------+',
        '| 1  | ming   |',
        '| 2  | sinead |',
        '| 3  | fiona  |',
        '+----+--------+',
        '',
      ].join('\n'),
    );
  });

  it('prints the SQLite error, runs the rest, and exits 1', async () => {
    const run = await dust('SELECT * FROM nowhere;\nSELECT 7 AS seven;\n');
    assert.equal(run.stderr, 'Error: no such table: nowhere\n');
    assert.match(run.stdout, /\| seven \|\n\+-------\+\n\| 7 {5}\|/);
    assert.equal(run.status, 1);
  });

  it('runs an unfinished last statement at the end of the input (echo "SELECT 1" | dust)', async () => {
    const run = await dust('SELECT 1\n');
    assert.equal(run.stdout, '+---+\n| 1 |\n+---+\n| 1 |\n+---+\n');
    assert.equal(run.status, 0);
  });

  it('prints rows in every output mode and shows or refuses modes', async () => {
    await dust(
      "CREATE TABLE modes (id INTEGER PRIMARY KEY, txt TEXT, num REAL);\nINSERT INTO modes VALUES (1, 'a,b', 1.5), (2, NULL, NULL);",
    );
    const run = await dust(
      [
        '.mode',
        'SELECT * FROM modes ORDER BY id;',
        '.mode column',
        'SELECT * FROM modes ORDER BY id;',
        '.mode csv',
        'SELECT * FROM modes ORDER BY id;',
        '.mode json',
        'SELECT * FROM modes ORDER BY id;',
        '.MODE LINE',
        'SELECT * FROM modes ORDER BY id;',
        '.mode',
        '.mode table',
        'SELECT count(*) AS n FROM modes;',
        '.mode fancy',
      ].join('\n'),
    );
    assert.equal(run.stderr, 'Error: invalid mode "fancy" (use column, csv, json, line, table)\n');
    assert.equal(run.status, 1);
    assert.equal(
      run.stdout,
      [
        'table',
        '+----+------+------+',
        '| id | txt  | num  |',
        '+----+------+------+',
        '| 1  | a,b  | 1.5  |',
        '| 2  | NULL | NULL |',
        '+----+------+------+',
        'id  txt   num',
        '--  ----  ----',
        '1   a,b   1.5',
        '2   NULL  NULL',
        'id,txt,num',
        '1,"a,b",1.5',
        '2,,',
        '[{"id":1,"txt":"a,b","num":1.5},',
        '{"id":2,"txt":null,"num":null}]',
        ' id = 1',
        'txt = a,b',
        'num = 1.5',
        '',
        ' id = 2',
        'txt = NULL',
        'num = NULL',
        'line',
        '+---+',
        '| n |',
        '+---+',
        '| 2 |',
        '+---+',
        '',
      ].join('\n'),
    );
  });

  it('lists tables, schema and indexes, all or by pattern', async () => {
    const run = await dust(
      [
        'CREATE TABLE sch_alpha (id INTEGER PRIMARY KEY, name TEXT);',
        'CREATE TABLE sch_beta (x);',
        'CREATE INDEX sch_alpha_name ON sch_alpha(name);',
        '.tables sch%',
        '.schema sch_alpha',
        '.indexes sch_alpha',
        '.tables',
        '.schema',
        '.indexes',
      ].join('\n'),
    );
    assert.equal(run.stderr, '');
    const expected = [
      '+-----------+',
      '| name      |',
      '+-----------+',
      '| sch_alpha |',
      '| sch_beta  |',
      '+-----------+',
      '+------------------------------------------------------+',
      '| sql                                                  |',
      '+------------------------------------------------------+',
      '| CREATE TABLE sch_alpha (id INTEGER PRIMARY KEY, name TEXT) |',
    ];
    assert.ok(run.stdout.includes(expected.slice(0, 6).join('\n')), run.stdout);
    assert.match(
      run.stdout,
      /\| CREATE TABLE sch_alpha \(id INTEGER PRIMARY KEY, name TEXT\) \|\n\| CREATE INDEX sch_alpha_name ON sch_alpha\(name\) +\|/,
    );
    assert.match(run.stdout, /\| name +\| table +\|\n\+-+\+-+\+\n\| sch_alpha_name \| sch_alpha \|\n\+/);
    // Without a pattern: every table (including those of other tests), every CREATE statement.
    assert.match(run.stdout, /\| modes +\|\n\| sch_alpha +\|\n\| sch_beta +\|\n\| students +\|/);
    assert.match(run.stdout, /\| CREATE TABLE sch_beta \(x\) +\|/);
    assert.doesNotMatch(run.stdout, /sqlite_/);
  });

  it('switches timing, last insert IDs, forced writes, byte-list BLOBs and consistency, and shows them', async () => {
    await dust('CREATE TABLE switches (id INTEGER PRIMARY KEY, data BLOB);');
    const run = await dust(
      [
        '.timer',
        '.timer on',
        'SELECT 1 AS timed;',
        '.timer off',
        '.changes on',
        "INSERT INTO switches(data) VALUES (x'DEADBEEF');",
        '.changes off',
        'SELECT data FROM switches;',
        '.blobarray on',
        'SELECT data FROM switches;',
        '.forcewrites on',
        'SELECT 1;',
        '.forcewrites',
        '.consistency',
        '.forcewrites off',
        '.consistency strong',
        'SELECT count(*) AS strong FROM switches;',
        '.consistency none',
        '.show',
        '.timer maybe',
        '.consistency eventual',
      ].join('\n'),
    );
    assert.equal(
      run.stderr,
      'Error: invalid option "maybe" (usage: .timer [on|off])\n' +
        'Error: invalid consistency level "eventual" (use none, weak, linearizable, strong, auto)\n',
    );
    const out = run.stdout;
    assert.match(
      out,
      /^off\n\+-------\+\n\| timed \|\n\+-------\+\n\| 1 {5}\|\n\+-------\+\nRun Time: server \d+\.\d{6} s, round trip \d+\.\d{6} s\n1 row affected\nlast insert ID: 1\n/,
    );
    assert.match(out, /last insert ID: 1\n\+----------\+\n\| data {5}\|\n\+----------\+\n\| 3q2\+7w== \|/);
    // With forced writes a SELECT goes to /db/execute, which returns no rows, only a change count.
    assert.match(out, /\| \[222,173,190,239\] \|\n\+-+\+\n\d+ rows? affected\non\nweak\n/);
    assert.match(out, /\| strong \|\n\+--------\+\n\| 1 {6}\|/);
    assert.match(out, new RegExp(`node: http://127\\.0\\.0\\.1:${node.httpPort}/\n`));
    for (const setting of [
      'blobarray: on',
      'changes: off',
      'consistency: none',
      'forcewrites: off',
      'mode: table',
      'output: stdout',
      'timer: off',
    ]) {
      assert.match(out, new RegExp(`\\n *${setting.replace('+', '\\+')}\\n`), setting);
    }
  });

  it('lists every command in .help and refuses unknown ones', async () => {
    const run = await dust('.help\n.HELP mode\n.nonsense\n');
    const commands = [
      'backup',
      'blobarray',
      'boot',
      'changes',
      'consistency',
      'dump',
      'exit',
      'expvar',
      'forcewrites',
      'help',
      'indexes',
      'leader',
      'mode',
      'nodes',
      'output',
      'read',
      'ready',
      'remove',
      'restore',
      'schema',
      'show',
      'snapshot',
      'status',
      'stepdown',
      'sysdump',
      'tables',
      'timer',
    ];
    for (const name of commands) assert.match(run.stdout, new RegExp(`^\\.${name}\\b`, 'm'), name);
    assert.match(run.stdout, /\.quit/);
    assert.match(
      run.stdout,
      /\n\.mode \[column\|csv\|json\|line\|table\] +Show or set how rows are printed\n$/,
    );
    assert.equal(run.stderr, 'Error: unknown command ".nonsense"; enter ".help" for the list of commands\n');
    assert.equal(run.status, 1);
  });

  it('sends results to a file with .output and back with .output alone', async () => {
    const file = path.join(work, 'results.txt');
    const run = await dust(
      `.output ${file}\nSELECT 1 AS one;\n.mode\n.output\nSELECT 2 AS two;\n.output ${path.join(work, 'no', 'such', 'dir')}\n`,
    );
    assert.equal(fs.readFileSync(file, 'utf8'), '+-----+\n| one |\n+-----+\n| 1   |\n+-----+\n');
    assert.equal(run.stdout, 'table\n+-----+\n| two |\n+-----+\n| 2   |\n+-----+\n');
    assert.match(run.stderr, /^Error: cannot open .*no\/such\/dir: no such file or directory\n$/);
  });

  it('runs statements and commands from a file with .read, nested', async () => {
    const inner = path.join(work, 'inner.sql');
    const outer = path.join(work, 'outer.sql');
    fs.writeFileSync(inner, "INSERT INTO readme VALUES ('from inner');\n");
    fs.writeFileSync(
      outer,
      [
        '-- a script',
        'CREATE TABLE readme (',
        '  note TEXT',
        ');',
        `.read ${inner}`,
        '.mode csv',
        'SELECT note FROM readme',
        '',
      ].join('\r\n'),
    );
    const run = await dust(`.read ${outer}\n.read ${path.join(work, 'missing.sql')}\n`);
    assert.match(run.stdout, /^\d+ rows? affected\n1 row affected\nnote\nfrom inner\n$/);
    assert.match(run.stderr, /^Error: cannot read .*missing\.sql: no such file or directory\n$/);
    assert.equal(run.status, 1);
  });

  it('shows the cluster: .nodes, .leader, .ready, .status, .expvar, .extensions', async () => {
    const run = await dust(
      [
        '.nodes',
        '.nodes all',
        '.leader',
        '.ready',
        '.status store.raft.state',
        '.status',
        '.expvar http',
        '.extensions',
        '.nodes some',
        '.status no.such.key',
      ].join('\n'),
    );
    const api = `api_addr: http://127.0.0.1:${node.httpPort}`;
    const nodeBlock = new RegExp(
      `^1:\\n(  .*\\n)*?  ${api.replace(/\./g, '\\.')}\\n(  .*\\n)*?  leader: true\\n`,
      'm',
    );
    const blocks = run.stdout.match(new RegExp(nodeBlock.source, 'gm')) ?? [];
    assert.equal(blocks.length, 3, run.stdout); // .nodes, .nodes all, .leader
    assert.match(run.stdout, /\nready\n/);
    assert.match(run.stdout, /\nstate: Leader\n/);
    assert.match(run.stdout, /\nstore:\n( {2}.*\n)* {2}raft:\n/);
    assert.match(run.stdout, /\nhttp:\n( {2}.*\n)* {2}requests: \d+\n/);
    assert.equal(run.stderr, 'Error: usage: .nodes [all]\nError: no key "no.such.key" in /status\n');
  });

  it('takes snapshots and writes system diagnostics', async () => {
    const file = path.join(work, 'sysdump.txt');
    const run = await dust(
      `INSERT INTO readme VALUES ('snap');\n.snapshot\n.snapshot 3\n.snapshot many\n.sysdump ${file}\n`,
    );
    assert.match(
      run.stdout,
      /^1 row affected\n(Snapshot taken\.|Nothing new to snapshot\.)\n(Snapshot taken\.|Nothing new to snapshot\.)\n/,
    );
    assert.match(
      run.stdout,
      new RegExp(`System diagnostics of 1 node\\(s\\) written to ${file.replace(/\./g, '\\.')}\\.\n$`),
    );
    assert.equal(run.stderr, 'Error: invalid number of trailing logs "many"\n');
    const dump = fs.readFileSync(file, 'utf8');
    for (const section of ['status?pretty', 'nodes?pretty', 'readyz', 'debug/vars']) {
      assert.ok(
        dump.includes(`URL: http://127.0.0.1:${node.httpPort}/${section}\nStatus: 200 OK\n`),
        section,
      );
    }
    assert.match(dump, /\[\+\]node ok/);
  });

  it('leaves with .exit, .quit, exit and quit, with .exit CODE as the status', async () => {
    for (const word of ['.exit', '.quit', 'exit', 'QUIT']) {
      const run = await dust(`SELECT 1 AS before;\n${word}\nSELECT 2 AS after;\n`);
      assert.match(run.stdout, /before/);
      assert.doesNotMatch(run.stdout, /after/, word);
      assert.equal(run.status, 0, word);
    }
    const coded = await dust('.exit 3\nSELECT 1;\n');
    assert.equal(coded.status, 3);
    assert.equal(coded.stdout, '');
    const bad = await dust('.exit 300\n');
    assert.equal(bad.stderr, 'Error: invalid exit status "300" (0-255)\n');
  });

  it('finds the node by URL, DUST_HOST, or an alternative when the first host is down', async () => {
    const byUrl = await runShell([`http://${node.address}`], {
      input: 'SELECT 11;',
      env: shellEnvironment(home),
    });
    assert.match(byUrl.stdout, /\| 11 \|/);
    const byEnv = await runShell([], {
      input: 'SELECT 12;',
      env: shellEnvironment(home, { DUST_HOST: `http://${node.address}` }),
    });
    assert.match(byEnv.stdout, /\| 12 \|/);
    const deadPort = await freePort();
    const failover = await runShell(['-p', String(deadPort), '-a', `localhost:1,${node.address}`], {
      input: 'SELECT 13;',
      env: shellEnvironment(home),
    });
    assert.match(failover.stdout, /\| 13 \|/);
    assert.equal(failover.stderr, `Note: the node is unreachable; now using http://${node.address}\n`);
    assert.equal(failover.status, 0);
  });

  it('explains a node it cannot reach, bad options, and prints help and version', async () => {
    const deadPort = await freePort();
    const down = await runShell(['-p', String(deadPort)], {
      input: 'SELECT 1;',
      env: shellEnvironment(home),
    });
    assert.equal(
      down.stderr,
      `Error: cannot reach the node: connection refused by 127.0.0.1:${deadPort}; is dustd running at http://127.0.0.1:${deadPort}/?\n`,
    );
    assert.equal(down.status, 1);
    const bad = await runShell(['--port', 'many'], { env: shellEnvironment(home) });
    assert.equal(bad.stderr, 'dust: invalid port "many" in -p/--port: use a number 1-65535\n');
    assert.equal(bad.status, 2);
    const help = await runShell(['--help'], { env: shellEnvironment(home) });
    assert.match(help.stdout, /^Usage: dust \[OPTIONS\] \[URL\]\n/);
    const version = await runShell(['-v'], { env: shellEnvironment(home) });
    const packageVersion = (
      JSON.parse(fs.readFileSync(path.join(repositoryRoot, 'package.json'), 'utf8')) as { version: string }
    ).version;
    assert.equal(version.stdout, `dust ${packageVersion}\n`);
  });

  describe(
    'backup, dump, restore, boot',
    { skip: sqlite3Available ? false : 'the sqlite3 command is not installed' },
    () => {
      it('writes a backup that sqlite3 opens, and a dump that sqlite3 replays to the same data', async () => {
        const backup = path.join(work, 'backup.sqlite');
        const dumpFile = path.join(work, 'dump.sql');
        const run = await dust(
          [
            'CREATE TABLE kinds (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, n);',
            "INSERT INTO kinds(i, r, t, b, n) VALUES (9223372036854775807, 2.5, 'it''s', x'00FF10', NULL);",
            "INSERT INTO kinds(i, r, t, b, n) VALUES (-1, -0.125, 'two\nlines', x'', 'x');",
            `.backup ${backup}`,
            `.dump ${dumpFile} kinds`,
            '.dump - kinds',
          ].join('\n'),
        );
        assert.equal(run.stderr, '');
        assert.match(
          run.stdout,
          new RegExp(`Backup written to ${backup.replace(/\./g, '\\.')} \\(\\d+\\.\\d KiB\\)\\.\n`),
        );
        assert.match(run.stdout, /Dump written to .*dump\.sql \(\d+ B\)\.\n/);
        // The dump to the output: whether the node honours the table list is its business, so only the
        // table asked for is looked for.
        assert.match(run.stdout, /\)\.\nPRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n[\s\S]*COMMIT;\n$/);
        assert.match(
          run.stdout,
          // rqlite writes blob hex in upper case, Dust in lower case as the sqlite3 shell does.
          /\nCREATE TABLE kinds [^\n]*\nINSERT INTO "?kinds"? VALUES\(1,9223372036854775807,2\.5,'it''s',X'00(?:FF|ff)10',NULL\);\n/,
        );
        assert.equal(fs.readFileSync(backup).subarray(0, 16).toString('latin1'), 'SQLite format 3\u0000');
        assert.deepEqual(
          fs.readdirSync(work).filter((name) => name.includes('partial')),
          [],
        );

        const replayed = path.join(work, 'replayed.sqlite');
        sqlite3(replayed, fs.readFileSync(dumpFile, 'utf8'));
        const fromBackup = sqlite3(backup, '.dump kinds');
        assert.match(fromBackup, /9223372036854775807,2.5,'it''s',X'00ff10',NULL/);
        assert.equal(sqlite3(replayed, '.dump kinds'), fromBackup);
      });

      it('restores a database made by sqlite3 with identical contents, and loads SQL dumps (gzip too)', async () => {
        const made = path.join(work, 'made.sqlite');
        sqlite3(
          made,
          "CREATE TABLE made (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO made(v) VALUES ('one'), ('two');\n",
        );
        const sqlFile = path.join(work, 'extra.sql');
        fs.writeFileSync(sqlFile, "CREATE TABLE extra (w);\nINSERT INTO extra VALUES ('loaded');\n");
        const gzFile = path.join(work, 'extra2.sql.gz');
        fs.writeFileSync(
          gzFile,
          zlib.gzipSync("CREATE TABLE extra2 (w);\nINSERT INTO extra2 VALUES ('gz');\n"),
        );
        const after = path.join(work, 'after.sqlite');
        const run = await dust(
          [
            `.restore ${made}`,
            `.backup ${after}`,
            `.restore ${sqlFile}`,
            `.restore ${gzFile}`,
            'SELECT w FROM extra UNION ALL SELECT w FROM extra2;',
            `.restore ${sqlFile}`,
            `.restore ${path.join(work, 'nope.sql')}`,
          ].join('\n'),
        );
        assert.equal(sqlite3(after, '.dump'), sqlite3(made, '.dump'));
        assert.match(
          run.stdout,
          /^Database restored successfully\.\nBackup written to .*\nDatabase restored successfully\.\nDatabase restored successfully\.\n\+--------\+\n\| w {6}\|\n\+--------\+\n\| loaded \|\n\| gz {5}\|\n/,
        );
        assert.match(
          run.stderr,
          // Dust adds where the failing statement is and that nothing was loaded.
          /^Error: table extra already exists(?: \(at line 1 of the SQL text; nothing was loaded\))?\nError: cannot read .*nope\.sql: no such file or directory\n$/,
        );
        assert.equal(run.status, 1);
      });

      it('boots the node from a SQLite file and refuses other files', async () => {
        const bootFile = path.join(work, 'boot.sqlite');
        sqlite3(bootFile, "CREATE TABLE booted (v); INSERT INTO booted VALUES ('fresh');\n");
        const notDatabase = path.join(work, 'plain.txt');
        fs.writeFileSync(notDatabase, 'hello');
        const run = await dust(`.boot ${notDatabase}\n.boot ${bootFile}\n.tables\nSELECT v FROM booted;\n`);
        assert.equal(run.stderr, `Error: ${notDatabase} is not a SQLite database file\n`);
        assert.equal(
          run.stdout,
          'Node booted successfully.\n+--------+\n| name   |\n+--------+\n| booted |\n+--------+\n+-------+\n| v     |\n+-------+\n| fresh |\n+-------+\n',
        );
      });
    },
  );
});
