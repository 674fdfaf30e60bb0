// Messages between the main thread and the worker threads that work on database files for backups: the
// dump worker (SQL text, chunk by chunk) and the backup worker (VACUUM INTO).
export interface DumpWorkerData {
  /** A database file nobody writes while the dump runs (a backup copy). */
  readonly path: string;
  readonly tables: readonly string[];
  readonly chunkBytes: number;
}

/** The main thread asks for one chunk at a time. */
export type ToDumpWorker = { readonly kind: 'pull' };

export type FromDumpWorker =
  | { readonly kind: 'chunk'; readonly bytes: Uint8Array }
  /** The dump is complete. */
  | { readonly kind: 'end' }
  | { readonly kind: 'failed'; readonly message: string };

/** Check (quick_check) if asked, then VACUUM INTO a new file. */
export interface BackupJob {
  readonly kind: 'vacuum';
  readonly source: string;
  readonly path: string;
  readonly check: boolean;
}

export type FromBackupWorker =
  | { readonly kind: 'done' }
  | { readonly kind: 'failed'; readonly message: string; readonly invalid: boolean };
