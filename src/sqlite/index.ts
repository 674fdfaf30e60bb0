// The state machine's public surface. See DESIGN.md.
export {
  SqliteDatabase,
  type QueryOptions,
  type ReadTarget,
  type SqliteDatabaseOptions,
  type SqliteStatus,
} from './database.js';
export { CommandFailedError, SqliteStateMachineError, type SqliteFailureCode } from './errors.js';
export { looksLikeSqliteImage } from './image.js';
export {
  ReadPool,
  ReadPoolError,
  type ReadPoolFailureCode,
  type ReadPoolOptions,
  type ReadPoolStats,
  type ReadQueryOptions,
} from './read-pool.js';
export { queryTimeoutMessage } from './read-protocol.js';
export { writeOnReadPathMessage } from './runner.js';
