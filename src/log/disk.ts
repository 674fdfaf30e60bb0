// The file operations the log performs, as a narrow interface: the real implementation below uses node:fs, and
// tests wrap it to count fsyncs, delay them or make them fail. Writes are asynchronous (they run on libuv's thread
// pool and never block the event loop); positioned reads are also offered synchronously because reading entries
// is synchronous for the Raft core, and those reads are normally served from the page cache.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

/** A file the log appends to. */
export interface AppendFile {
  /** Writes all of `bytes` at `position`. */
  write(bytes: Uint8Array, position: number): Promise<void>;
  /** Makes every completed write durable (fdatasync: data and the file size, not timestamps). */
  sync(): Promise<void>;
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
}

/** A file the log reads at positions. Reads may return fewer bytes than asked for only at the end of the file. */
export interface ReadFile {
  readSync(target: Uint8Array, position: number): number;
  read(target: Uint8Array, position: number): Promise<number>;
  close(): void;
}

// Declared as function-valued properties rather than methods: implementations are plain objects whose functions
// may be passed around and wrapped one by one, and none of them relies on `this`.
export interface LogDisk {
  /** Creates the directory and its missing parents; returns true if it did not exist. */
  readonly makeDirectory: (directory: string) => Promise<boolean>;
  readonly list: (directory: string) => Promise<string[]>;
  readonly fileBytes: (file: string) => Promise<number>;
  /** Creates a new file for appending; fails if it exists. */
  readonly createFile: (file: string) => Promise<AppendFile>;
  readonly openAppend: (file: string) => Promise<AppendFile>;
  readonly openRead: (file: string) => ReadFile;
  readonly rename: (from: string, to: string) => Promise<void>;
  readonly remove: (file: string) => Promise<void>;
  /** Makes created, renamed and removed names in the directory durable. */
  readonly syncDirectory: (directory: string) => Promise<void>;
}

class NodeAppendFile implements AppendFile {
  constructor(private readonly handle: fsp.FileHandle) {}

  async write(bytes: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.byteLength - done, position + done);
      if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten} bytes`);
      done += bytesWritten;
    }
  }

  sync(): Promise<void> {
    return this.handle.datasync();
  }

  truncate(size: number): Promise<void> {
    return this.handle.truncate(size);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

class NodeReadFile implements ReadFile {
  constructor(private readonly fd: number) {}

  readSync(target: Uint8Array, position: number): number {
    let done = 0;
    while (done < target.byteLength) {
      const count = fs.readSync(this.fd, target, done, target.byteLength - done, position + done);
      if (count === 0) break;
      done += count;
    }
    return done;
  }

  async read(target: Uint8Array, position: number): Promise<number> {
    let done = 0;
    while (done < target.byteLength) {
      const count = await new Promise<number>((resolve, reject) => {
        fs.read(this.fd, target, done, target.byteLength - done, position + done, (error, bytesRead) => {
          if (error) reject(error);
          else resolve(bytesRead);
        });
      });
      if (count === 0) break;
      done += count;
    }
    return done;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

export const nodeDisk: LogDisk = {
  async makeDirectory(directory) {
    const created = await fsp.mkdir(directory, { recursive: true });
    if (created === undefined) return false;
    // Each directory created is a new name in its parent: sync every parent from the top one created down.
    const top = path.resolve(created);
    for (let current = path.resolve(directory); ; current = path.dirname(current)) {
      await nodeDisk.syncDirectory(path.dirname(current));
      if (current === top || current === path.dirname(current)) break;
    }
    return true;
  },
  list: (directory) => fsp.readdir(directory),
  fileBytes: async (file) => (await fsp.stat(file)).size,
  createFile: async (file) => new NodeAppendFile(await fsp.open(file, 'wx')),
  openAppend: async (file) => new NodeAppendFile(await fsp.open(file, 'r+')),
  openRead: (file) => new NodeReadFile(fs.openSync(file, 'r')),
  rename: (from, to) => fsp.rename(from, to),
  remove: (file) => fsp.unlink(file),
  async syncDirectory(directory) {
    const handle = await fsp.open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
