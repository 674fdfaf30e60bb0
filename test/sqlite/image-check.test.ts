// The header check that refuses what cannot be a whole database before anything is done with it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import Database from 'better-sqlite3';

import {
  checkImageHeader,
  imageHeaderBytes,
  isImageProblem,
  startsLikeSqlite,
} from '../../src/sqlite/image-check.js';

function databaseImage(rows: number): Buffer {
  const connection = new Database(':memory:');
  connection.exec('CREATE TABLE t(v)');
  const insert = connection.prepare('INSERT INTO t VALUES (?)');
  for (let row = 0; row < rows; row++) insert.run('x'.repeat(500));
  const image = connection.serialize();
  connection.close();
  return image;
}

function check(image: Uint8Array, length = image.length): ReturnType<typeof checkImageHeader> {
  return checkImageHeader(image.subarray(0, imageHeaderBytes), length);
}

void describe('checkImageHeader', () => {
  void test('accepts a whole database and reports its pages', () => {
    const image = databaseImage(100);
    const result = check(image);
    assert.ok(!isImageProblem(result));
    assert.equal(result.pageBytes, 4096);
    assert.equal(result.pageCount * result.pageBytes, image.length);
    assert.ok(startsLikeSqlite(image));
  });

  void test('refuses bytes that are not a database', () => {
    const result = check(Buffer.from('CREATE TABLE t(a); -- SQL text, not a database file'));
    assert.ok(isImageProblem(result));
    assert.equal(result.kind, 'not_sqlite');
    assert.ok(!startsLikeSqlite(Buffer.from('SQLite format 2\u0000')));
  });

  void test('refuses a file cut short, by its header or by its page size', () => {
    const image = databaseImage(100);
    const shortByPages = check(image, image.length - 4096);
    assert.ok(isImageProblem(shortByPages));
    assert.equal(shortByPages.kind, 'truncated');
    assert.match(shortByPages.message, /its header says \d+ pages of 4096 bytes/);

    const shortByBytes = check(image, image.length - 100);
    assert.ok(isImageProblem(shortByBytes));
    assert.equal(shortByBytes.kind, 'truncated');
    assert.match(shortByBytes.message, /not a whole number of 4096-byte pages/);

    const headerOnly = check(image.subarray(0, 50), 50);
    assert.ok(isImageProblem(headerOnly));
    assert.equal(headerOnly.kind, 'truncated');
  });

  void test('refuses a header SQLite would refuse', () => {
    const image = databaseImage(1);
    const badPageSize = Buffer.from(image);
    badPageSize.writeUInt16BE(1000, 16);
    const pageResult = check(badPageSize);
    assert.ok(isImageProblem(pageResult));
    assert.equal(pageResult.kind, 'damaged');

    const badVersion = Buffer.from(image);
    badVersion[18] = 7;
    const versionResult = check(badVersion);
    assert.ok(isImageProblem(versionResult));
    assert.match(versionResult.message, /file format version at byte 18 is 7/);

    const badFractions = Buffer.from(image);
    badFractions[21] = 63;
    assert.ok(isImageProblem(check(badFractions)));
  });
});
