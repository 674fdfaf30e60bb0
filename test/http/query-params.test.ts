import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { QueryParams, QueryParamsError, unescapePath } from '../../src/http/query-params.js';

void describe('QueryParams reads a query string as rqlite does', () => {
  void test('keys are presence flags whatever their value', () => {
    const params = QueryParams.parse('pretty&timings=false&associative=&blob_array=yes');
    for (const key of ['pretty', 'timings', 'associative', 'blob_array']) assert.ok(params.has(key), key);
    assert.equal(params.has('transaction'), false);
  });

  void test('keys are case-sensitive', () => {
    const params = QueryParams.parse('Pretty');
    assert.equal(params.has('pretty'), false);
    assert.ok(params.has('Pretty'));
  });

  void test('the first value of a repeated key wins', () => {
    assert.equal(QueryParams.parse('q=SELECT%201&q=SELECT%202').get('q'), 'SELECT 1');
    // An empty first `q` is refused even when a later one has SQL.
    assert.throws(() => QueryParams.parse('q=&q=SELECT%202'), { message: 'query parameter not set' });
    assert.equal(QueryParams.parse('q=SELECT%202&q=').get('q'), 'SELECT 2');
  });

  void test('values are unescaped, + is a space, invalid UTF-8 becomes U+FFFD per byte', () => {
    const params = QueryParams.parse('q=SELECT+%27%C3%A9%27%2B1&x=%E2%82%41');
    assert.equal(params.get('q'), "SELECT 'é'+1");
    assert.equal(params.get('x'), '\ufffd\ufffdA');
  });

  void test('empty pairs are skipped and a pair without = has an empty value', () => {
    const params = QueryParams.parse('&&pretty&&key=a=b');
    assert.ok(params.has('pretty'));
    assert.equal(params.get('pretty'), '');
    assert.equal(params.get('key'), 'a=b');
  });

  void test('level: the five levels in any case, anything else weak', () => {
    const levelOf = (query: string): string => QueryParams.parse(query).level();
    assert.equal(levelOf(''), 'weak');
    assert.equal(levelOf('level=NONE'), 'none');
    assert.equal(levelOf('level=Strong'), 'strong');
    assert.equal(levelOf('level=linearizable'), 'linearizable');
    assert.equal(levelOf('level=auto'), 'auto');
    assert.equal(levelOf('level=weak'), 'weak');
    assert.equal(levelOf('level='), 'weak');
    assert.equal(levelOf('level=bogus'), 'weak');
  });

  void test('durations and integers are read after validation', () => {
    const params = QueryParams.parse('timeout=1m30s&db_timeout=500ms&retries=%2B3&linearizable_timeout=2us');
    assert.equal(params.durationMs('timeout', 1), 90_000);
    assert.equal(params.durationMs('db_timeout', 1), 500);
    assert.equal(params.durationMs('linearizable_timeout', 1), 0.002);
    assert.equal(params.durationMs('freshness', 7), 7);
    assert.equal(params.integer('retries', 0), 3);
    assert.equal(params.integer('trailing_logs', 9), 9);
  });
});

void describe('QueryParams refuses with rqlite messages, in rqlite order', () => {
  const refused: [string, string][] = [
    ['freshness_strict', 'freshness_strict requires freshness'],
    ['freshness_strict&timeout=x', 'freshness_strict requires freshness'],
    ['timeout=x', 'timeout is not a valid duration'],
    ['timeout=5', 'timeout is not a valid duration'],
    ['freshness=1', 'freshness is not a valid duration'],
    ['db_timeout=', 'db_timeout is not a valid duration'],
    ['linearizable_timeout=bad', 'linearizable_timeout is not a valid duration'],
    ['db_timeout=x&timeout=y', 'timeout is not a valid duration'],
    ['retries=1.5', 'retries is not a valid integer'],
    ['retries=', 'retries is not a valid integer'],
    ['trailing_logs=+1', 'trailing_logs is not a valid integer'],
    ['trailing_logs=9223372036854775808', 'trailing_logs is not a valid integer'],
    ['retries=x&timeout=y', 'timeout is not a valid duration'],
    ['q=', 'query parameter not set'],
    ['q=&timeout=x', 'timeout is not a valid duration'],
    ['%zz', 'invalid URL escape "%zz"'],
    ['a=%z', 'invalid URL escape "%z"'],
    ['a=%', 'invalid URL escape "%"'],
    ['a=1;b=2', 'invalid semicolon separator in query'],
    // Go keeps the first escape error but lets a later semicolon error replace it.
    ['a=%zz&b=%yy', 'invalid URL escape "%zz"'],
    ['a=%zz&b;c', 'invalid semicolon separator in query'],
    ['a;b&timeout=x', 'invalid semicolon separator in query'],
  ];
  for (const [query, message] of refused) {
    void test(JSON.stringify(query), () => {
      assert.throws(
        () => QueryParams.parse(query),
        (error: unknown) => {
          assert.ok(error instanceof QueryParamsError);
          assert.equal(error.message, message);
          return true;
        },
      );
    });
  }

  void test('retries accepts int64 bounds', () => {
    assert.equal(QueryParams.parse('retries=-9223372036854775808').has('retries'), true);
    assert.equal(QueryParams.parse('retries=9223372036854775807').has('retries'), true);
  });
});

void describe('unescapePath', () => {
  void test('decodes escapes but not +', () => {
    assert.equal(unescapePath('/db/%71uery+x'), '/db/query+x');
  });
  void test('refuses a malformed escape', () => {
    assert.deepEqual(unescapePath('/db/%zz'), { message: 'invalid URL escape "%zz"' });
  });
});
