import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repositoryRoot } from './support/processes.js';

describe('bin/dust', () => {
  it('is an executable Node script that runs the compiled shell in its own process', () => {
    const file = path.join(repositoryRoot, 'bin', 'dust');
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(text.split('\n')[0], '#!/usr/bin/env node');
    assert.match(text, /import\('\.\.\/dist\/src\/cli\/main\.js'\)/);
    assert.notEqual(fs.statSync(file).mode & 0o111, 0, 'bin/dust must be executable');
  });
});
