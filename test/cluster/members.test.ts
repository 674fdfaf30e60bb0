import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import {
  decodeMemberContext,
  encodeMemberContext,
  MemberDirectory,
  MemberRecordError,
} from '../../src/cluster/members.js';

const directories: string[] = [];
after(() => {
  for (const directory of directories) fs.rmSync(directory, { recursive: true, force: true });
});

function membersFile(): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-members-'));
  directories.push(directory);
  return path.join(directory, 'raft', 'members.json');
}

const one = { raftAddress: '127.0.0.1:4002', apiUrl: 'http://127.0.0.1:4001' };
const two = { raftAddress: '127.0.0.1:4012', apiUrl: 'http://127.0.0.1:4011' };

describe('member addresses', () => {
  it('travel in a membership entry context and come back equal', () => {
    assert.deepEqual(decodeMemberContext(encodeMemberContext(one)), one);
    assert.equal(decodeMemberContext(undefined), undefined);
    assert.equal(decodeMemberContext(new Uint8Array()), undefined);
    assert.throws(() => decodeMemberContext(new TextEncoder().encode('{"apiUrl":"x"}')), MemberRecordError);
    assert.throws(() => decodeMemberContext(new TextEncoder().encode('not json')), MemberRecordError);
  });

  it('are kept in a file that a reopened directory reads back', () => {
    const file = membersFile();
    const changes: string[] = [];
    const directory = MemberDirectory.open(file, (id) => changes.push(id));
    assert.equal(directory.learn('1', one), true);
    assert.equal(directory.learn('1', one), false, 'the same addresses again change nothing');
    assert.equal(directory.learn('2', two), true);
    assert.deepEqual(changes, ['1', '2']);
    const reopened = MemberDirectory.open(file, () => undefined);
    assert.deepEqual(reopened.toTable(), { '1': one, '2': two });
    assert.equal(reopened.idAt('127.0.0.1:4012'), '2');
  });

  it('replace a member address that changed, and report the change', () => {
    const file = membersFile();
    const changed: string[] = [];
    const directory = MemberDirectory.open(file, (id, addresses) =>
      changed.push(`${id}@${addresses.raftAddress}`),
    );
    directory.learn('2', two);
    directory.learn('2', { ...two, raftAddress: '127.0.0.1:5012' });
    assert.deepEqual(changed, ['2@127.0.0.1:4012', '2@127.0.0.1:5012']);
    assert.equal(MemberDirectory.open(file, () => undefined).get('2')?.raftAddress, '127.0.0.1:5012');
  });

  it('refuse a damaged members file with a message naming it', () => {
    const file = membersFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"1": {"raftAddress": 7}}');
    assert.throws(
      () => MemberDirectory.open(file, () => undefined),
      (error: unknown) => {
        return error instanceof MemberRecordError && error.message.includes(file);
      },
    );
    fs.writeFileSync(file, '{');
    assert.throws(() => MemberDirectory.open(file, () => undefined), /not valid JSON/);
  });
});
