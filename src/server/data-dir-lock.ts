// One dustd per data directory: two processes appending to one log would corrupt it. The lock is a file
// holding the owner's PID, created exclusively; a lock left by a process that no longer runs is taken over.
import fs from 'node:fs';
import path from 'node:path';

export class DataDirectoryInUseError extends Error {
  override readonly name = 'DataDirectoryInUseError';
}

export class DataDirectoryLock {
  private constructor(private readonly file: string) {}

  static acquire(dataDir: string): DataDirectoryLock {
    const file = path.join(dataDir, 'dustd.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
        return new DataDirectoryLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
        if (Number.isInteger(owner) && owner !== process.pid && isRunning(owner)) {
          throw new DataDirectoryInUseError(
            `data directory ${dataDir} is in use by dustd process ${owner}; stop it or choose another directory`,
          );
        }
        // The previous owner is gone (killed, or the machine restarted): the lock is stale.
        fs.rmSync(file, { force: true });
      }
    }
    throw new DataDirectoryInUseError(
      `could not lock data directory ${dataDir}: another process keeps taking it`,
    );
  }

  release(): void {
    fs.rmSync(this.file, { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A PID can be reused by an unrelated process after a crash; where /proc tells, require a dustd.
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dustd');
  } catch {
    return true;
  }
}
