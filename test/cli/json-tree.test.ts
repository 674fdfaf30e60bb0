import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderOutline, selectPath } from '../../src/cli/json-tree.js';
import { parseJson } from '../../src/cli/json-value.js';

describe('outline of diagnostic documents', () => {
  const document = parseJson(
    '{"store":{"raft":{"state":"Leader","term":2},"nodes":[{"id":"1","addr":"a:1"}],"dir":"/d"},"names":["x","y"],"empty":{},"on":true,"none":null}',
  );

  it('prints sorted keys, nested objects indented, lists of objects as dashes', () => {
    assert.equal(
      renderOutline(document),
      [
        'empty: {}',
        'names: x, y',
        'none: null',
        'on: true',
        'store:',
        '  dir: /d',
        '  nodes:',
        '    - addr: a:1',
        '      id: 1',
        '  raft:',
        '    state: Leader',
        '    term: 2',
        '',
      ].join('\n'),
    );
  });

  it('follows dotted paths', () => {
    assert.equal(selectPath(document, 'store.raft.state'), 'Leader');
    assert.equal(selectPath(document, 'store.nope'), undefined);
    assert.equal(selectPath(document, 'names.0'), undefined);
  });
});
