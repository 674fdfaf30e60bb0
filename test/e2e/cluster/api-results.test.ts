// What a client may conclude from each kind of answer: the histories of the cluster tests depend on a
// certain failure never being reported for a write that may have happened, and the other way round.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { judgeQuery, judgeWrite } from './api-results.js';
import type { HttpOutcome } from './node-http.js';

function answer(status: number, text: string): HttpOutcome {
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    json = undefined;
  }
  return { kind: 'answered', status, headers: {}, text, json };
}

describe('judgeWrite', () => {
  it('acknowledges only a complete, error-free answer', () => {
    assert.deepEqual(judgeWrite(answer(200, '{"results":[{"last_insert_id":5,"rows_affected":1}]}'), 1), {
      kind: 'ok',
      rowsAffected: [1],
    });
    assert.deepEqual(judgeWrite(answer(200, '{"results":[{}]}'), 1), { kind: 'ok', rowsAffected: [0] });
    assert.equal(judgeWrite(answer(200, '{"results":[{"rows_affected":1}]}'), 2).kind, 'unknown');
  });

  it('calls a write failed only when it cannot have taken effect', () => {
    assert.equal(judgeWrite({ kind: 'refused', error: 'ECONNREFUSED' }, 1).kind, 'failed');
    assert.equal(judgeWrite(answer(503, 'leader not found\n'), 1).kind, 'failed');
    assert.equal(judgeWrite(answer(200, '{"results":[{"error":"no such table: t"}]}'), 1).kind, 'failed');
  });

  it('leaves every other outcome unknown', () => {
    assert.equal(judgeWrite({ kind: 'lost', error: 'no answer within 3000 ms' }, 1).kind, 'unknown');
    assert.equal(judgeWrite(answer(200, '{"results":[],"error":"not leader"}'), 1).kind, 'unknown');
    assert.equal(judgeWrite(answer(500, 'internal error'), 1).kind, 'unknown');
    assert.equal(judgeWrite(answer(200, 'not json'), 1).kind, 'unknown');
  });
});

describe('judgeQuery', () => {
  it('reads rows, and no rows when values are left out', () => {
    assert.deepEqual(
      judgeQuery(answer(200, '{"results":[{"columns":["v"],"types":["text"],"values":[["x"],[null]]}]}')),
      { kind: 'rows', rows: [['x'], [null]] },
    );
    assert.deepEqual(judgeQuery(answer(200, '{"results":[{"columns":["v"],"types":["text"]}]}')), {
      kind: 'rows',
      rows: [],
    });
  });

  it('reports errors of every kind', () => {
    assert.equal(judgeQuery(answer(200, '{"results":[],"error":"stale read"}')).kind, 'error');
    assert.equal(judgeQuery(answer(200, '{"results":[{"error":"no such table: t"}]}')).kind, 'error');
    assert.equal(judgeQuery(answer(503, 'leader not found')).kind, 'error');
    assert.equal(judgeQuery({ kind: 'lost', error: 'reset' }).kind, 'error');
  });
});
