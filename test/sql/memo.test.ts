import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { analyze, disallowedPragma, memoizedSqlTools, rewrite } from '../../src/sql/index.js';

const fixedOptions = (seed: bigint) => ({
  random: true,
  time: true,
  randomInt64: () => seed,
  randomBytes: (count: number) => new Uint8Array(count).fill(7),
  nowMs: () => 1_700_000_000_000,
});

describe('memoized SQL tools', () => {
  const texts = [
    'INSERT INTO t VALUES (?, ?)',
    'INSERT INTO t VALUES (1) RETURNING id',
    "EXPLAIN SELECT 'returning'",
    'PRAGMA journal_mode = DELETE',
    'SELECT 1; -- nothing',
    '',
  ];

  it('answer exactly as the tools they remember, the first time and every later time', () => {
    const tools = memoizedSqlTools(2);
    for (let round = 0; round < 3; round++) {
      for (const sql of texts) {
        assert.deepEqual(tools.analyze(sql), analyze(sql), sql);
        assert.equal(tools.disallowedPragma(sql), disallowedPragma(sql), sql);
        assert.deepEqual(tools.rewrite(sql, fixedOptions(5n)), rewrite(sql, fixedOptions(5n)), sql);
      }
    }
  });

  it('rewrite RANDOM() afresh at every call, never from memory', () => {
    const tools = memoizedSqlTools();
    const sql = 'INSERT INTO t VALUES (RANDOM())';
    const first = tools.rewrite(sql, fixedOptions(1n));
    const second = tools.rewrite(sql, fixedOptions(2n));
    assert.equal(first.changed, true);
    assert.notEqual(first.sql, second.sql);
    assert.match(second.sql, /\b2\b/);
  });

  it('keep which rewrites were asked for apart', () => {
    const tools = memoizedSqlTools();
    const sql = 'SELECT RANDOM()';
    assert.equal(tools.rewrite(sql, { ...fixedOptions(3n), random: false }).changed, false);
    assert.equal(tools.rewrite(sql, fixedOptions(3n)).changed, true);
  });

  it('pass a rewriter failure on without remembering it', () => {
    const tools = memoizedSqlTools();
    const failing = { ...fixedOptions(1n), nowMs: () => Number.NaN };
    const sql = "SELECT date('now')";
    assert.throws(() => tools.rewrite(sql, failing));
    assert.equal(tools.rewrite(sql, fixedOptions(1n)).changed, true);
  });
});
