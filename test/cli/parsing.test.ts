import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBareExit, parseDotLine } from '../../src/cli/dot-line.js';
import { CommandError, ResponseFormatError } from '../../src/cli/errors.js';
import { parseSqlResponse } from '../../src/cli/results.js';

describe('dot-command lines', () => {
  it('lower-cases the name and groups quoted arguments', () => {
    assert.deepEqual(parseDotLine('.BACKUP "my file.db"'), { name: 'backup', args: ['my file.db'] });
    assert.deepEqual(parseDotLine(".dump  out.sql 't1, t2'  t3 "), {
      name: 'dump',
      args: ['out.sql', 't1, t2', 't3'],
    });
    assert.deepEqual(parseDotLine('.'), { name: '', args: [] });
    assert.throws(() => parseDotLine('.read "open'), CommandError);
  });

  it('accepts exit and quit without the dot', () => {
    assert.equal(isBareExit('exit'), true);
    assert.equal(isBareExit(' QUIT; '), true);
    assert.equal(isBareExit('exits'), false);
  });
});

describe('SQL responses', () => {
  it('reads rows, writes and per-statement errors', () => {
    const parsed = parseSqlResponse(
      '{"results":[{"columns":["a"],"types":["integer"],"values":[[9223372036854775807]],"time":0.5},' +
        '{"last_insert_id":3,"rows_affected":2},{},{"error":"no such table: x"},{"columns":["a"],"types":["integer"]}]}',
    );
    assert.equal(parsed.error, undefined);
    assert.deepEqual(parsed.results, [
      {
        kind: 'rows',
        columns: ['a'],
        types: ['integer'],
        values: [[9223372036854775807n]],
        timeSeconds: 0.5,
      },
      { kind: 'write', lastInsertId: 3, rowsAffected: 2, timeSeconds: undefined },
      { kind: 'write', lastInsertId: 0, rowsAffected: 0, timeSeconds: undefined },
      { kind: 'error', message: 'no such table: x' },
      { kind: 'rows', columns: ['a'], types: ['integer'], values: [], timeSeconds: undefined },
    ]);
  });

  it('reads request-level errors', () => {
    assert.deepEqual(parseSqlResponse('{"results":[],"error":"leader not found"}'), {
      results: [],
      error: 'leader not found',
    });
  });

  it('refuses answers that are not the expected JSON', () => {
    for (const body of [
      '<html>',
      '[]',
      '{"results":{}}',
      '{"results":[3]}',
      '{"results":[{"values":[1]}]}',
    ]) {
      assert.throws(() => parseSqlResponse(body), ResponseFormatError, body);
    }
  });
});
