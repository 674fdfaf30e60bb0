import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, ProgressBar, progressBytesMin } from '../../src/cli/progress.js';

function sink(isTerminal: boolean): {
  isTerminal: boolean;
  columns: number;
  written: string[];
  write(text: string): void;
} {
  const written: string[] = [];
  return { isTerminal, columns: 100, written, write: (text) => written.push(text) };
}

describe('progress bar', () => {
  it('draws nothing when standard output is not a terminal', () => {
    const output = sink(false);
    const bar = new ProgressBar('backup', output);
    bar.update(progressBytesMin * 2, progressBytesMin * 4);
    bar.finish();
    assert.deepEqual(output.written, []);
  });

  it('draws nothing for small transfers', () => {
    const output = sink(true);
    const bar = new ProgressBar('backup', output);
    bar.update(100, progressBytesMin - 1);
    bar.finish();
    assert.deepEqual(output.written, []);
  });

  it('draws percent and sizes for large transfers, at most every 100 ms, and ends the line', () => {
    const output = sink(true);
    let nowMs = 0;
    const bar = new ProgressBar('restore', output, () => nowMs);
    const total = 4 * 1024 * 1024;
    bar.update(total / 4, total);
    bar.update(total / 2, total); // too soon: not drawn
    nowMs = 150;
    bar.update(total, total);
    bar.finish();
    assert.equal(output.written.length, 4);
    assert.match(output.written[0] ?? '', /restore \[#+-+\]\s+25% 1\.0 MiB \/ 4\.0 MiB/);
    assert.match(output.written[1] ?? '', /100% 4\.0 MiB \/ 4\.0 MiB/);
    assert.equal(output.written[3], '\n');
  });

  it('shows bytes so far when the size is unknown', () => {
    const output = sink(true);
    const bar = new ProgressBar('dump', output);
    bar.update(progressBytesMin * 3, undefined);
    assert.equal(bar.text(), 'dump 3.0 MiB');
    bar.abandon();
    assert.equal(output.written.at(-1), '\n');
  });

  it('formats sizes in binary units', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GiB');
  });
});
