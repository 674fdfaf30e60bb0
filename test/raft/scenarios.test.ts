// Scripted multi-node scenarios compared with golden files in testdata/. Set DUST_REWRITE_GOLDEN=1 to
// rewrite the files after a deliberate change, then review the diff: it is the behaviour change.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { formatScenario, parseScenario, ScenarioRunner } from './scenario.js';

// The compiled test lives in <out>/test/raft; the scripts stay in the source tree's test/raft/testdata.
const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const testdata = path.join(repositoryRoot, 'test', 'raft', 'testdata');
const rewrite = process.env['DUST_REWRITE_GOLDEN'] === '1';

describe('scripted scenarios (golden files)', () => {
  const files = readdirSync(testdata).filter((name) => name.endsWith('.txt'));
  it('finds the scenario files', () => {
    assert.ok(files.length >= 6, `only ${files.length} scenario files in ${testdata}`);
  });
  for (const file of files.sort()) {
    it(file.replace(/\.txt$/, ''), () => {
      const source = readFileSync(path.join(testdata, file), 'utf8');
      const blocks = parseScenario(source);
      const runner = new ScenarioRunner();
      const outputs = blocks.map((block) => runner.run(block.command));
      if (rewrite) {
        writeFileSync(path.join(testdata, file), formatScenario(blocks, outputs));
        return;
      }
      blocks.forEach((block, i) => {
        assert.deepEqual(outputs[i], block.expected, `${file}: output of "${block.command}" differs`);
      });
    });
  }
});
