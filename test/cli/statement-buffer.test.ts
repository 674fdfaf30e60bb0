import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StatementBuffer } from '../../src/cli/statement-buffer.js';

function feed(lines: readonly string[]): { statements: string[]; buffer: StatementBuffer } {
  const buffer = new StatementBuffer();
  const statements: string[] = [];
  for (const line of lines) statements.push(...buffer.push(line));
  return { statements, buffer };
}

describe('statement buffer', () => {
  it('completes a statement at its semicolon', () => {
    const { statements, buffer } = feed(['SELECT 1;']);
    assert.deepEqual(statements, ['SELECT 1;']);
    assert.equal(buffer.hasPending(), false);
  });

  it('continues a statement over lines until the semicolon', () => {
    const buffer = new StatementBuffer();
    assert.deepEqual(buffer.push('SELECT'), []);
    assert.equal(buffer.hasPending(), true);
    assert.deepEqual(buffer.push('  1 + 1'), []);
    assert.deepEqual(buffer.push(';'), ['SELECT\n  1 + 1\n;']);
    assert.equal(buffer.hasPending(), false);
  });

  it('splits several statements on one line and keeps the unfinished rest', () => {
    const { statements, buffer } = feed(['SELECT 1; SELECT 2;SELECT 3']);
    assert.deepEqual(statements, ['SELECT 1;', 'SELECT 2;']);
    assert.equal(buffer.hasPending(), true);
    assert.equal(buffer.takeRemainder(), 'SELECT 3');
    assert.equal(buffer.hasPending(), false);
    assert.equal(buffer.takeRemainder(), undefined);
  });

  it('ignores semicolons in strings, quoted names, and comments', () => {
    const { statements } = feed([
      "INSERT INTO t VALUES('a;b', 'it''s;');",
      'SELECT "x;y", `p;q`, [r;s] FROM t; -- trailing; comment',
      'SELECT /* a ; comment',
      'spanning ; lines */ 2;',
      'SELECT 3 -- not the end;',
      ';',
    ]);
    assert.deepEqual(statements, [
      "INSERT INTO t VALUES('a;b', 'it''s;');",
      'SELECT "x;y", `p;q`, [r;s] FROM t;',
      '-- trailing; comment\nSELECT /* a ; comment\nspanning ; lines */ 2;',
      'SELECT 3 -- not the end;\n;',
    ]);
  });

  it('keeps a string that spans lines pending', () => {
    const buffer = new StatementBuffer();
    assert.deepEqual(buffer.push("INSERT INTO t VALUES('first;"), []);
    assert.equal(buffer.hasPending(), true);
    assert.deepEqual(buffer.push("second');"), ["INSERT INTO t VALUES('first;\nsecond');"]);
  });

  it('does not end a trigger at the semicolons of its body', () => {
    const { statements, buffer } = feed([
      'CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN',
      '  INSERT INTO log VALUES(new.id);',
      '  UPDATE t SET n = n + 1;',
      'END;',
      'SELECT 1;',
    ]);
    assert.equal(statements.length, 2);
    assert.match(statements[0] ?? '', /^CREATE TEMP TRIGGER[\s\S]*END;$/);
    assert.equal(statements[1], 'SELECT 1;');
    assert.equal(buffer.hasPending(), false);
    assert.deepEqual(feed(['create trigger x before delete on t begin select 1; end;']).statements.length, 1);
    assert.deepEqual(
      feed(['EXPLAIN CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;']).statements.length,
      1,
    );
  });

  it('treats words that merely contain keywords as ordinary words', () => {
    const { statements } = feed(['CREATE TABLE triggers(end_at, created);', 'SELECT 1;']);
    assert.deepEqual(statements, ['CREATE TABLE triggers(end_at, created);', 'SELECT 1;']);
  });

  it('drops empty statements and is not pending after comments alone', () => {
    const { statements, buffer } = feed([';;', '-- just a comment', '  ', '/* block */']);
    assert.deepEqual(statements, []);
    assert.equal(buffer.hasPending(), false);
    assert.equal(buffer.takeRemainder(), undefined);
  });

  it('forgets everything on reset', () => {
    const buffer = new StatementBuffer();
    buffer.push("SELECT 'open");
    assert.equal(buffer.hasPending(), true);
    buffer.reset();
    assert.equal(buffer.hasPending(), false);
    assert.deepEqual(buffer.push('SELECT 2;'), ['SELECT 2;']);
  });

  it('splits any script of simple statements back into its statements, however it is cut into lines', () => {
    const word = fc.constantFrom('SELECT', 'x', '1', 'FROM', 't', '+', '(', ')', 'end', 'create', 'temp');
    const literal = fc.string({ maxLength: 6 }).map((text) => `'${text.replace(/'/g, "''")}'`);
    const comment = fc.string({ maxLength: 6 }).map((text) => `/*${text.replace(/\*\//g, '')}*/`);
    const statement = fc
      .array(fc.oneof(word, literal, comment), { minLength: 1, maxLength: 6 })
      .map((parts) => `SELECT ${parts.join(' ')};`);
    fc.assert(
      fc.property(
        fc.array(statement, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (script, cuts) => {
          const text = script.join(' ');
          // Cut the script into lines at arbitrary spaces: a line break is whitespace to SQL, too.
          const spaces = [...text.matchAll(/ /g)].map((match) => match.index);
          const chosen = new Set(cuts.map((cut) => spaces[cut % Math.max(1, spaces.length)]));
          const lines = [...text]
            .map((char, index) => (char === ' ' && chosen.has(index) ? '\n' : char))
            .join('');
          const { statements, buffer } = feed(lines.split('\n'));
          assert.equal(buffer.hasPending(), false);
          assert.deepEqual(
            statements.map((item) => item.replace(/\s+/g, ' ')),
            script.map((item) => item.replace(/\s+/g, ' ')),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
