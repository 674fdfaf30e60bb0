import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displayWidth } from '../../src/cli/render/cell.js';
import { renderRows } from '../../src/cli/render/modes.js';
import type { RowsResult } from '../../src/cli/results.js';

function rows(columns: string[], values: RowsResult['values']): RowsResult {
  return { kind: 'rows', columns, types: columns.map(() => ''), values, timeSeconds: undefined };
}

const students = rows(
  ['id', 'name'],
  [
    [1, 'ming'],
    [2, null],
  ],
);

describe('table mode', () => {
  it('draws a bordered grid like the README example', () => {
    assert.equal(
      renderRows(students, 'table'),
      [
        '+----+------+',
        '| id | name |',
        '+----+------+',
        '| 1  | ming |',
        '| 2  | NULL |',
        '+----+------+',
        '',
      ].join('\n'),
    );
  });

  it('draws only the header when there are no rows', () => {
    assert.equal(renderRows(rows(['sql'], []), 'table'), '+-----+\n| sql |\n+-----+\n');
  });

  it('gives a multi-line value several lines of its row, and keeps control characters from breaking it', () => {
    assert.equal(
      renderRows(rows(['a', 'b'], [['x\ny', 'p\tq\u0007']]), 'table'),
      [
        '+---+---------+',
        '| a | b       |',
        '+---+---------+',
        '| x | p    q? |',
        '| y |         |',
        '+---+---------+',
        '',
      ].join('\n'),
    );
  });

  it('measures wide characters by the columns they take on a terminal', () => {
    assert.equal(displayWidth('数据'), 4);
    assert.equal(displayWidth('e\u0301'), 1);
    assert.equal(
      renderRows(rows(['名'], [['数据']]), 'table'),
      ['+------+', '| 名   |', '+------+', '| 数据 |', '+------+', ''].join('\n'),
    );
  });

  it('prints 64-bit integers, reals, booleans and byte lists as the node sent them', () => {
    const result = rows(['i', 'r', 'b', 'blob'], [[9223372036854775807n, 1.5, true, [222, 173]]]);
    assert.match(renderRows(result, 'table'), /\| 9223372036854775807 \| 1\.5 \| true \| \[222,173\] \|/);
  });
});

describe('column mode', () => {
  it('aligns columns under a dashed rule, without borders', () => {
    assert.equal(
      renderRows(students, 'column'),
      ['id  name', '--  ----', '1   ming', '2   NULL', ''].join('\n'),
    );
  });
});

describe('csv mode', () => {
  it('writes a header and RFC 4180 fields, NULL as an empty field', () => {
    const result = rows(
      ['id', 'text'],
      [
        [1, 'plain'],
        [2, 'with, comma'],
        [3, 'say "hi"'],
        [4, 'two\nlines'],
        [5, null],
      ],
    );
    assert.equal(
      renderRows(result, 'csv'),
      ['id,text', '1,plain', '2,"with, comma"', '3,"say ""hi"""', '4,"two\nlines"', '5,', ''].join('\n'),
    );
  });
});

describe('json mode', () => {
  it('writes an array of row objects, one per line, that parses back to the same values', () => {
    const text = renderRows(students, 'json');
    assert.equal(text, '[{"id":1,"name":"ming"},\n{"id":2,"name":null}]\n');
    assert.deepEqual(JSON.parse(text), [
      { id: 1, name: 'ming' },
      { id: 2, name: null },
    ]);
  });

  it('writes 64-bit integers exactly and an empty result as []', () => {
    assert.equal(renderRows(rows(['n'], [[9223372036854775807n]]), 'json'), '[{"n":9223372036854775807}]\n');
    assert.equal(renderRows(rows(['n'], []), 'json'), '[]\n');
  });
});

describe('line mode', () => {
  it('writes name = value lines with right-aligned names and a blank line between rows', () => {
    assert.equal(
      renderRows(students, 'line'),
      ['  id = 1', 'name = ming', '', '  id = 2', 'name = NULL', ''].join('\n'),
    );
    assert.equal(renderRows(rows(['n'], []), 'line'), '');
  });
});
