// Rebuilds better-sqlite3's bundled SQLite with compile-time options that Dust's users expect (see
// src/sqlite/DESIGN.md):
//   SQLITE_DQS=3                    double-quoted strings that name no column are string literals, as in
//                                   sqlite3 and rqlite (SQLite's own default; better-sqlite3 turns it off);
//   SQLITE_USE_URI=1                "file:/name?vfs=memdb" URIs, so the in-memory database is shared by the
//                                   write connection and the read connections;
//   SQLITE_MEMDB_DEFAULT_MAXSIZE    in-memory databases may grow past SQLite's default 1 GiB cap;
//   SQLITE_DEFAULT_CACHE_SIZE=-2000 a page cache of 2 MB per connection, SQLite's own default (better-sqlite3
//                                   sets 16 MB): Dust sets its own connections' caches, but not that of a
//                                   backup's destination, which would otherwise hold 16 MB while a
//                                   snapshot is copied;
//   SQLITE_DEFAULT_SYNCHRONOUS=0    no fsync by default: the log makes Dust's writes durable, its own
//                                   connections say so themselves, and the files SQLite writes for it
//                                   otherwise (a snapshot's or a backup's copy) are read back into files
//                                   that are synced, or streamed away; the copy for a snapshot is made on
//                                   the main thread, where a final fsync of the whole file would stall it.
// The rebuild runs only when the installed library lacks them, so a second `npm install` costs nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const defines = [
  'SQLITE_DQS=3',
  'SQLITE_USE_URI=1',
  'SQLITE_MEMDB_DEFAULT_MAXSIZE=1099511627776',
  'SQLITE_DEFAULT_CACHE_SIZE=-2000',
  'SQLITE_DEFAULT_SYNCHRONOUS=0',
];
const packageDir = path.dirname(require.resolve('better-sqlite3/package.json'));
// Written after a successful rebuild. The memdb size cap cannot be probed cheaply (it takes a 1 GiB
// database), so the marker records it; `npm ci` removes node_modules and with it the marker.
const markerFile = path.join(packageDir, 'build', 'Release', 'dust-sqlite-options.json');

// DQS and URIs are probed by use rather than read from PRAGMA compile_options, because SQLite lists
// USE_URI whenever the macro is defined, even when it is defined as 0.
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
if (plain.pragma('cache_size', { simple: true }) !== -2000) missing.push('SQLITE_DEFAULT_CACHE_SIZE=-2000');
const onDisk = new Database(require('node:path').join(require('node:os').tmpdir(), 'dust-install-probe-' + process.pid + '.sqlite'));
try {
  if (onDisk.pragma('synchronous', { simple: true }) !== 0) missing.push('SQLITE_DEFAULT_SYNCHRONOUS=0');
} finally {
  onDisk.close();
  require('node:fs').rmSync(onDisk.name, { force: true });
}
process.stdout.write(JSON.stringify(missing));
`;

function missingOptions() {
  const probe = spawnSync(process.execPath, ['-e', probeScript, require.resolve('better-sqlite3')], {
    encoding: 'utf8',
    cwd: os.tmpdir(),
  });
  if (probe.status !== 0) return defines;
  const missing = JSON.parse(probe.stdout);
  let recorded = [];
  try {
    recorded = JSON.parse(readFileSync(markerFile, 'utf8')).defines ?? [];
  } catch {
    // No marker: this library was not built by this script.
  }
  for (const define of defines) {
    if (!recorded.includes(define) && !missing.includes(define)) missing.push(define);
  }
  return missing;
}

function nodeGypScript() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  const npmRoot = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout.trim();
  const bundled = path.join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  return existsSync(bundled) ? bundled : undefined;
}

const missing = missingOptions();
if (missing.length === 0) process.exit(0);

const gyp = nodeGypScript();
if (gyp === undefined) {
  console.error(`dust: cannot find node-gyp to rebuild better-sqlite3 (needed for ${missing.join(', ')})`);
  process.exit(1);
}
console.log(`dust: rebuilding better-sqlite3's SQLite with ${missing.join(', ')} (takes a minute or two)`);
// Defines given in CFLAGS come after better-sqlite3's own on the compiler's command line, so they win.
const build = spawnSync(process.execPath, [gyp, 'rebuild', '--release'], {
  cwd: packageDir,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
  env: {
    ...process.env,
    CFLAGS: `${process.env.CFLAGS ?? ''} ${defines.map((d) => `-D${d}`).join(' ')}`.trim(),
  },
});
if (build.status !== 0) {
  console.error(`${build.stdout}${build.stderr}`.split('\n').slice(-40).join('\n'));
  console.error('dust: rebuilding better-sqlite3 failed; the last lines of its build output are above');
  process.exit(1);
}
writeFileSync(markerFile, JSON.stringify({ defines }) + '\n');
const stillMissing = missingOptions();
if (stillMissing.length > 0) {
  console.error(`dust: better-sqlite3 was rebuilt but still lacks ${stillMissing.join(', ')}`);
  process.exit(1);
}
console.log('dust: better-sqlite3 rebuilt');
