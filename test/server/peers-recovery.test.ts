import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import { PeersFileError, readPeersFile } from '../../src/server/peers-recovery.js';

describe('peers.json', () => {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-peers-'));
  after(() => fs.rmSync(directory, { recursive: true, force: true }));

  function read(text: string): ReturnType<typeof readPeersFile> {
    const file = path.join(directory, 'peers.json');
    fs.writeFileSync(file, text);
    return readPeersFile(file);
  }

  function refused(text: string, message: RegExp): void {
    assert.throws(
      () => read(text),
      (error: unknown) => error instanceof PeersFileError && message.test(error.message),
    );
  }

  it('is absent unless the operator wrote it', () => {
    assert.equal(readPeersFile(path.join(directory, 'missing.json')), undefined);
  });

  it('reads rqlite’s format, non_voter optional', () => {
    assert.deepEqual(
      read(
        '[{"id": "1", "address": "10.0.0.1:4002"}, {"id": "2", "address": "[::1]:4012", "non_voter": true}]',
      ),
      [
        { id: '1', raftAddress: '10.0.0.1:4002', voter: true },
        { id: '2', raftAddress: '[::1]:4012', voter: false },
      ],
    );
  });

  it('refuses what it cannot use, saying where', () => {
    refused('{', /is not valid JSON/);
    refused('[]', /non-empty JSON array/);
    refused('[{"address": "a:1"}]', /member 1 has no "id"/);
    refused(
      '[{"id": "1", "address": "http://a:1"}]',
      /member 1 \(id 1\) has no "address" of the form host:port/,
    );
    refused('[{"id": "1", "address": "a:1", "non_voter": "yes"}]', /"non_voter" must be true or false/);
    refused('[{"id": "1", "address": "a:1"}, {"id": "1", "address": "b:1"}]', /lists id 1 twice/);
    refused('[{"id": "1", "address": "a:1", "non_voter": true}]', /lists no voter/);
  });
});
