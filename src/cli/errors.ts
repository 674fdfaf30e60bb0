// The shell's operating errors. Each is a value with a precise class and a message written for the person
// at the keyboard: the shell prints `Error: <message>` and carries on (or, in a script, remembers to exit
// non-zero). Anything that is not one of these is a bug and is reported with its stack.

/** Bad command-line options or environment: the shell cannot start. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A dot-command was given arguments it cannot use, or is unknown. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/** No node could be reached: every host in the list refused or timed out while connecting. */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
  constructor(
    message: string,
    readonly hosts: readonly string[],
    readonly code: string,
  ) {
    super(message);
  }
}

/** The request reached a node but failed on the way (reset, timeout, interrupted by the user). */
export class RequestFailedError extends Error {
  override readonly name = 'RequestFailedError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** The node answered with an HTTP status the command does not accept. */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly statusText: string,
    readonly body: string,
  ) {
    super(describeHttpStatus(method, path, status, statusText, body));
  }
}

/** The node answered 200 but with a body the shell cannot understand. */
export class ResponseFormatError extends Error {
  override readonly name = 'ResponseFormatError';
}

/** The node executed the request and reported an error (a SQLite message, `leader not found`, ...). */
export class ServerReportedError extends Error {
  override readonly name = 'ServerReportedError';
}

/** A local file could not be read or written. */
export class FileError extends Error {
  override readonly name = 'FileError';
}

/** The errors the shell reports and survives; everything else is a bug. */
export type ShellError =
  | UsageError
  | CommandError
  | ConnectionError
  | RequestFailedError
  | HttpStatusError
  | ResponseFormatError
  | ServerReportedError
  | FileError;

export function isShellError(error: unknown): error is ShellError {
  return (
    error instanceof UsageError ||
    error instanceof CommandError ||
    error instanceof ConnectionError ||
    error instanceof RequestFailedError ||
    error instanceof HttpStatusError ||
    error instanceof ResponseFormatError ||
    error instanceof ServerReportedError ||
    error instanceof FileError
  );
}

const bodyShownCharsMax = 500;

function describeHttpStatus(
  method: string,
  path: string,
  status: number,
  statusText: string,
  body: string,
): string {
  const text = body.trim();
  const shown = text.length > bodyShownCharsMax ? `${text.slice(0, bodyShownCharsMax)}...` : text;
  const head = `${method} ${path} answered HTTP ${status}${statusText === '' ? '' : ` ${statusText}`}`;
  if (status === 404) return `${head}: this node does not offer ${path}${shown === '' ? '' : ` (${shown})`}`;
  if (status === 401) return `${head}: the node refused the credentials (give them with -u user:password)`;
  if (status === 405) return `${head}: this node does not accept ${method} on ${path}`;
  return shown === '' ? head : `${head}: ${shown}`;
}

/** Turns a Node file-system error into a message naming the file and the reason. */
export function fileError(action: string, file: string, error: unknown): FileError {
  const code = (error as { code?: unknown }).code;
  const reason =
    code === 'ENOENT'
      ? 'no such file or directory'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory'
          : error instanceof Error
            ? error.message
            : String(error);
  return new FileError(`cannot ${action} ${file}: ${reason}`);
}
