// Runs the compiled test files with Node's test runner. Node 20 finds no files from a directory
// argument and would exit 0 having run nothing, so the files are listed here explicitly, and a run
// that executes no test at all is a failure.
//
//   node scripts/run-tests.mjs            every group
//   node scripts/run-tests.mjs unit sim   only those groups (folders under test/; "unit" = all but e2e, sim)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const testRoot = path.join(root, 'dist', 'test');
const separateGroups = ['e2e', 'sim'];

function listTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) found.push(...listTests(full));
    else if (name.endsWith('.test.js')) found.push(full);
  }
  return found.sort();
}

function groupOf(file) {
  const first = path.relative(testRoot, file).split(path.sep)[0];
  return separateGroups.includes(first) ? first : 'unit';
}

const wanted = process.argv.slice(2);
const files = listTests(testRoot).filter((file) => wanted.length === 0 || wanted.includes(groupOf(file)));
if (files.length === 0) {
  console.error(`run-tests: no test files found under dist/test for ${wanted.join(', ') || 'any group'}`);
  process.exit(1);
}

const tapFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'dust-tests-')), 'results.tap');
const run = spawnSync(
  process.execPath,
  [
    '--test',
    // A file whose tests have all finished exits even if a socket or timer it opened is still alive:
    // end-to-end files talk to processes they kill, and a stray handle must not hold the run for minutes.
    '--test-force-exit',
    '--test-concurrency=2',
    '--test-timeout=300000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...files,
  ],
  { stdio: 'inherit', cwd: root },
);

// With --test-force-exit the runner may leave before writing its "# tests N" summary, so the results are
// counted from the TAP lines themselves: a test that passed or failed, not a suite (whose YAML says so).
const tap = readFileSync(tapFile, 'utf8');
const results = [
  ...tap.matchAll(/^\s*(not ok|ok) \d+ - .*\n(?:\s+---\n(?:(?!\s+\.\.\.\n).*\n)*?\s+\.\.\.\n)?/gm),
];
const tests = results.filter((match) => !/type: 'suite'/.test(match[0]));
const failed = tests.filter((match) => match[1] === 'not ok').length;
const testCount = tests.length;
console.log(`run-tests: ${files.length} files, ${testCount} tests, ${failed} failed`);
if (testCount === 0) {
  console.error('run-tests: # tests 0 — nothing was tested');
  process.exit(1);
}
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
