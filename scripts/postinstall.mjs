// Rebuilds better-sqlite3's bundled SQLite with two compile-time options changed back to SQLite's own
// defaults, because Dust's users expect them (see src/sqlite/DESIGN.md):
//   SQLITE_DQS=3      double-quoted strings that name no column are string literals, as in sqlite3 and rqlite;
//   SQLITE_USE_URI=1  "file:/name?vfs=memdb" URIs, so the in-memory database can be shared by the write
//                     connection and the read connections.
// The rebuild runs only when the installed binary lacks them, so a second `npm install` costs nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
// Each wanted behaviour is probed by use rather than read from PRAGMA compile_options, because SQLite
// lists USE_URI whenever the macro is defined, even when it is defined as 0.
const probeScript = `
const Database = require(process.argv[1]);
const missing = [];
const plain = new Database(':memory:');
try { plain.prepare('SELECT "no_such_column"').get(); } catch { missing.push('SQLITE_DQS=3'); }
const uri = 'file:/dust-install-probe?vfs=memdb';
try {
  const writer = new Database(uri);
  writer.exec('CREATE TABLE probe(x)');
  const reader = new Database(uri);
  reader.prepare('SELECT x FROM probe').all();
} catch { missing.push('SQLITE_USE_URI=1'); }
process.stdout.write(JSON.stringify(missing));
`;

function missingOptions() {
  const probe = spawnSync(process.execPath, ['-e', probeScript, require.resolve('better-sqlite3')], {
    encoding: 'utf8',
    cwd: os.tmpdir(),
  });
  if (probe.status !== 0) return ['SQLITE_DQS=3', 'SQLITE_USE_URI=1'];
  return JSON.parse(probe.stdout);
}

function nodeGypScript() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  const npmRoot = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout.trim();
  const bundled = path.join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (existsSync(bundled)) return bundled;
  return undefined;
}

const missing = missingOptions();
if (missing.length === 0) process.exit(0);

const packageDir = path.dirname(require.resolve('better-sqlite3/package.json'));
const gyp = nodeGypScript();
if (gyp === undefined) {
  console.error('dust: cannot find node-gyp to rebuild better-sqlite3 (needed for ' + missing.join(', ') + ')');
  process.exit(1);
}
console.log(`dust: rebuilding better-sqlite3's SQLite with ${missing.join(', ')} (takes a minute or two)`);
const build = spawnSync(process.execPath, [gyp, 'rebuild', '--release'], {
  cwd: packageDir,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
  env: { ...process.env, CFLAGS: `${process.env.CFLAGS ?? ''} -DSQLITE_DQS=3 -DSQLITE_USE_URI=1`.trim() },
});
if (build.status !== 0) {
  console.error(`${build.stdout}${build.stderr}`.split('\n').slice(-40).join('\n'));
  console.error('dust: rebuilding better-sqlite3 failed; the last lines of its build output are above');
  process.exit(1);
}
const stillMissing = missingOptions();
if (stillMissing.length > 0) {
  console.error('dust: better-sqlite3 was rebuilt but still lacks ' + stillMissing.join(', '));
  process.exit(1);
}
console.log('dust: better-sqlite3 rebuilt');
