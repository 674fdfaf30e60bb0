// Opening a log directory: remove leftovers of interrupted segment creation, check that segment numbers have no
// gaps, scan and replay every segment, cut off an interrupted last write (with a warning), or create the first
// segment of a new log. What comes back is everything the log needs to start serving.
import path from 'node:path';

import type { AppendFile, LogDisk } from './disk.js';
import { EntryIndex } from './entry-index.js';
import { LogCorruptError } from './errors.js';
import { Replay, initialShape, type LogShape } from './replay.js';
import { isTemporarySegmentFileName, parseSegmentFileName, segmentFileName } from './segment-file.js';
import { scanSegment } from './segment-scan.js';
import { SegmentSet, createSegment, type DiskCounters } from './segments.js';
import type { LogWarningSink } from './types.js';

export interface RecoveredLog {
  readonly segments: SegmentSet;
  /** The active segment, open for appending at its last complete write. */
  readonly file: AppendFile;
  readonly shape: LogShape;
  /** Every entry of the log, `shape.baseIndex + 1` to `shape.lastIndex`, with its location. */
  readonly index: EntryIndex;
}

export async function recoverLog(input: {
  readonly directory: string;
  readonly disk: LogDisk;
  readonly warnings: LogWarningSink;
  readonly counters: DiskCounters;
}): Promise<RecoveredLog> {
  const { directory, disk, warnings, counters } = input;
  await disk.makeDirectory(directory);
  const names = await disk.list(directory);
  const leftovers = names.filter(isTemporarySegmentFileName);
  for (const name of leftovers) await disk.remove(path.join(directory, name));
  if (leftovers.length > 0) {
    await disk.syncDirectory(directory);
    counters.directorySyncs++;
  }

  const sequences = names
    .map(parseSegmentFileName)
    .filter((sequence): sequence is number => sequence !== undefined)
    .sort((a, b) => a - b);
  for (let i = 1; i < sequences.length; i++) {
    if (sequences[i] !== sequences[i - 1]! + 1) {
      throw new LogCorruptError(
        path.join(directory, segmentFileName(sequences[i]!)),
        0,
        `segment ${sequences[i - 1]! + 1} is missing before this one`,
      );
    }
  }

  const segments = new SegmentSet(disk);
  try {
    if (sequences.length === 0) {
      const shape = initialShape();
      const created = await createSegment({ disk, directory, sequence: 1, shape, counters });
      segments.add(created.segment);
      return { segments, file: created.file, shape, index: new EntryIndex(1) };
    }

    const replay = new Replay();
    let interruptedAt: number | undefined;
    for (const [position, sequence] of sequences.entries()) {
      const segmentPath = path.join(directory, segmentFileName(sequence));
      const fileBytes = await disk.fileBytes(segmentPath);
      const reader = disk.openRead(segmentPath);
      const scanned = await scanSegment({
        file: reader,
        path: segmentPath,
        fileBytes,
        sequence,
        isLast: position === sequences.length - 1,
        replay,
      }).catch((error: unknown) => {
        reader.close();
        throw error;
      });
      segments.add(
        {
          sequence,
          path: segmentPath,
          salt: scanned.salt,
          bytes: scanned.validBytes,
          firstWriteEnd: scanned.firstWriteEnd,
          startLastIndex: scanned.startLastIndex,
        },
        reader,
      );
      if (scanned.interruptedWrite !== undefined) {
        interruptedAt = scanned.validBytes;
        warnings.warn(
          `log: ${segmentPath}: cut off an interrupted write at byte offset ${scanned.validBytes} ` +
            `(${fileBytes - scanned.validBytes} bytes: ${scanned.interruptedWrite.problem} at offset ` +
            `${scanned.interruptedWrite.offset}); it was never acknowledged`,
        );
      }
    }
    replay.finish();

    const file = await disk.openAppend(segments.active.path);
    if (interruptedAt !== undefined) {
      // The cut must be durable before anything new is appended where the damaged bytes were.
      await file.truncate(interruptedAt);
      await file.sync();
      counters.fileSyncs++;
    }
    return { segments, file, shape: replay.shape, index: replay.entries };
  } catch (error) {
    segments.closeReaders();
    throw error;
  }
}
