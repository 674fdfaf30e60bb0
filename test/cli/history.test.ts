import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { historySettings, loadHistory, saveHistory } from '../../src/cli/history.js';

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'dust-cli-history-'));
after(() => fs.rmSync(directory, { recursive: true, force: true }));

describe('history file', () => {
  it('reads DUST_HISTFILESIZE, falling back to 100 lines', () => {
    assert.equal(historySettings({}).linesMax, 100);
    assert.equal(historySettings({ DUST_HISTFILESIZE: '7' }).linesMax, 7);
    assert.equal(historySettings({ DUST_HISTFILESIZE: '0' }).linesMax, 0);
    assert.equal(historySettings({ DUST_HISTFILESIZE: 'lots' }).linesMax, 100);
    assert.equal(historySettings({ DUST_HISTFILESIZE: '99999999' }).linesMax, 100_000);
    assert.equal(path.basename(historySettings({}).file), '.dust_history');
  });

  it('saves the newest lines, oldest first in the file, and loads them newest first', () => {
    const settings = { file: path.join(directory, 'bounded'), linesMax: 3 };
    saveHistory(settings, ['fifth', 'fourth', '  ', 'third', 'second', 'first']);
    assert.equal(fs.readFileSync(settings.file, 'utf8'), 'third\nfourth\nfifth\n');
    assert.deepEqual(loadHistory(settings), ['fifth', 'fourth', 'third']);
    assert.deepEqual(loadHistory({ ...settings, linesMax: 2 }), ['fifth', 'fourth']);
  });

  it('keeps nothing when the size is 0, and starts empty without a file', () => {
    const settings = { file: path.join(directory, 'none'), linesMax: 0 };
    saveHistory(settings, ['SELECT 1;']);
    assert.equal(fs.existsSync(settings.file), false);
    assert.deepEqual(loadHistory({ file: path.join(directory, 'missing'), linesMax: 10 }), []);
  });
});
