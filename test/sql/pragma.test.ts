import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { disallowedPragma } from '../../src/sql/index.js';
import { runs } from './sources.js';

describe('disallowedPragma: the rules', () => {
  it('refuses what rqlite refuses', () => {
    assert.equal(disallowedPragma('PRAGMA journal_mode = WAL'), 'journal_mode');
    assert.equal(disallowedPragma('  pragma main.journal_mode=delete'), 'journal_mode');
    assert.equal(disallowedPragma('PRAGMA wal_autocheckpoint = 0'), 'wal_autocheckpoint');
    assert.equal(disallowedPragma('PRAGMA wal_checkpoint'), 'wal_checkpoint');
    assert.equal(disallowedPragma('PRAGMA main.wal_checkpoint(TRUNCATE)'), 'wal_checkpoint');
    assert.equal(disallowedPragma('PRAGMA synchronous = OFF'), 'synchronous');
    assert.equal(disallowedPragma('PRAGMA temp.query_only = 1'), 'query_only');
  });

  it('also refuses the forms SQLite accepts as the same command', () => {
    assert.equal(disallowedPragma('PRAGMA journal_mode(WAL)'), 'journal_mode');
    assert.equal(disallowedPragma('PRAGMA synchronous == 0'), 'synchronous');
    assert.equal(disallowedPragma('PRAGMA "main"."query_only" = 1'), 'query_only');
    assert.equal(disallowedPragma("PRAGMA 'synchronous' = 0"), 'synchronous');
    assert.equal(disallowedPragma('PRAGMA [Journal_Mode]=off'), 'journal_mode');
    assert.equal(disallowedPragma('PRAGMA/**/synchronous/* x */=2'), 'synchronous');
    assert.equal(disallowedPragma('PRAGMA main.wal_autocheckpoint = 5'), 'wal_autocheckpoint');
    assert.equal(disallowedPragma('EXPLAIN PRAGMA query_only = 1'), 'query_only');
    assert.equal(disallowedPragma('EXPLAIN QUERY PLAN PRAGMA wal_checkpoint'), 'wal_checkpoint');
  });

  it('checks every statement of a multi-statement string', () => {
    assert.equal(
      disallowedPragma('SELECT 1; INSERT INTO t VALUES(2);\nPRAGMA synchronous=0; SELECT 3'),
      'synchronous',
    );
  });

  it('allows reading these pragmas and setting others', () => {
    for (const sql of [
      'PRAGMA journal_mode',
      'PRAGMA main.synchronous',
      'PRAGMA query_only;',
      'PRAGMA wal_autocheckpoint',
      'PRAGMA foreign_keys = ON',
      'PRAGMA cache_size = -2000',
      'PRAGMA table_info(journal_mode)',
      "SELECT 'PRAGMA journal_mode = WAL'",
      'SELECT 1 -- PRAGMA synchronous = 0',
      '/* PRAGMA query_only = 1 */ SELECT 2',
      'SELECT * FROM pragma_journal_mode',
      '',
    ]) {
      assert.equal(disallowedPragma(sql), undefined, sql);
    }
  });
});

describe('disallowedPragma: against SQLite', () => {
  let directory: string;
  before(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-sql-pragma-'));
  });
  after(() => fs.rmSync(directory, { recursive: true, force: true }));

  const settings = ['journal_mode', 'wal_autocheckpoint', 'synchronous', 'query_only'] as const;
  /** Values different from each setting's default on a fresh file database (not journal_mode OFF, which
   * SQLite's defensive mode ignores). */
  const newValue: Record<(typeof settings)[number], string[]> = {
    journal_mode: ['WAL', 'persist', "'truncate'"],
    wal_autocheckpoint: ['5', '0'],
    // Dust's build of SQLite defaults to OFF (scripts/postinstall.mjs).
    synchronous: ['1', 'FULL', 'normal'],
    query_only: ['1', 'ON', 'true'],
  };
  const space = fc.constantFrom(' ', '\n', '/**/', ' -- c\n');

  const pragma = fc
    .record({
      explain: fc.constantFrom('', 'EXPLAIN ', 'EXPLAIN QUERY PLAN '),
      setting: fc.constantFrom(...settings),
      quote: fc.constantFrom(
        (name: string) => name,
        (name: string) => `"${name}"`,
        (name: string) => `[${name.toUpperCase()}]`,
        (name: string) => `'${name}'`,
      ),
      schema: fc.constantFrom('', 'main.', '"main" . '),
      form: fc.constantFrom('=', '==', 'call', 'read'),
      valueIndex: fc.nat(),
      s1: space,
      s2: space,
    })
    .map(({ explain, setting, quote, schema, form, valueIndex, s1, s2 }) => {
      const values = newValue[setting];
      const value = values[valueIndex % values.length]!;
      const head = `${explain}PRAGMA${s1}${schema}${quote(setting)}`;
      const sql =
        form === 'read'
          ? head
          : form === 'call'
            ? `${head}${s2}(${value})`
            : `${head}${s2}${form}${s2}${value}`;
      return { sql, setting, explain: explain !== '', sets: form !== 'read' };
    });

  it('refuses every statement that changes one of the settings, and no statement that only reads', () => {
    let run = 0;
    let changedCount = 0;
    fc.assert(
      fc.property(pragma, ({ sql, setting, explain, sets }) => {
        const db = new Database(path.join(directory, `db-${run++}.sqlite`));
        try {
          const read = (): unknown[] => settings.map((name) => db.pragma(name, { simple: true }));
          const before = read();
          try {
            const statement = db.prepare(sql);
            if (statement.reader) statement.all();
            else statement.run();
          } catch {
            // A form SQLite refuses changes nothing; only the verdict below is checked then.
          }
          const changed = settings.filter((_, index) => read()[index] !== before[index]);
          const verdict = disallowedPragma(sql);
          if (changed.length > 0) {
            changedCount++;
            assert.deepEqual(changed, [setting], sql);
            assert.equal(verdict, setting, sql);
          }
          if (!sets) assert.equal(verdict, undefined, sql);
          // Without EXPLAIN, every refused statement really sets the value in SQLite.
          if (verdict !== undefined && !explain) assert.deepEqual(changed, [setting], sql);
        } finally {
          db.close();
        }
      }),
      runs(200),
    );
    assert.ok(changedCount > 80, `only ${changedCount} generated statements changed a setting`);
  });
});
