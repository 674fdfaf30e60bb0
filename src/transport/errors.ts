// The transport's operating errors. Each has a stable `code` to switch on and a message that says what
// happened and, where there is something to do, what to do about it.

export type TransportErrorCode =
  | 'TRANSPORT_CONFIG'
  | 'TRANSPORT_CLOSED'
  | 'TRANSPORT_USAGE'
  | 'ADDRESS_INVALID'
  | 'MESSAGE_DECODE'
  | 'FRAME_TOO_LARGE'
  | 'PROTOCOL'
  | SnapshotTransferCode
  | RpcErrorCode;

export abstract class TransportError extends Error {
  abstract readonly code: TransportErrorCode;
}

/** An option given to a transport, listener or RPC endpoint is out of range. */
export class TransportConfigError extends TransportError {
  override readonly name = 'TransportConfigError';
  readonly code = 'TRANSPORT_CONFIG';
}

/** The transport, listener or RPC endpoint was closed; it accepts no more work. */
export class TransportClosedError extends TransportError {
  override readonly name = 'TransportClosedError';
  readonly code = 'TRANSPORT_CLOSED';

  constructor(what: string) {
    super(`the ${what} is closed`);
  }
}

/** A caller broke one of the transport's rules (for example, a node sending a message to itself). */
export class TransportUsageError extends TransportError {
  override readonly name = 'TransportUsageError';
  readonly code = 'TRANSPORT_USAGE';
}

/** A network address that is not `host:port` (IPv6 hosts in brackets), or whose port is out of range. */
export class AddressError extends TransportError {
  override readonly name = 'AddressError';
  readonly code = 'ADDRESS_INVALID';

  constructor(
    readonly address: string,
    problem: string,
  ) {
    super(`invalid address "${address}": ${problem}; expected host:port, for example 127.0.0.1:4002`);
  }
}

/**
 * Bytes received from a peer do not form a Raft message this version understands: the peer runs another
 * version of Dust, or the bytes are garbage. The connection is closed; the node itself carries on.
 */
export class MessageDecodeError extends TransportError {
  override readonly name = 'MessageDecodeError';
  readonly code = 'MESSAGE_DECODE';

  constructor(problem: string) {
    super(`cannot decode a Raft message from a peer: ${problem}`);
  }
}

/** A frame announced more bytes than the connection allows; the connection is closed before reading it. */
export class FrameTooLargeError extends TransportError {
  override readonly name = 'FrameTooLargeError';
  readonly code = 'FRAME_TOO_LARGE';

  constructor(
    readonly frameBytes: number,
    readonly frameBytesMax: number,
  ) {
    super(
      `a frame of ${frameBytes} bytes exceeds the limit of ${frameBytesMax} bytes; ` +
        'every node of a cluster must use the same limits, and the limit must exceed the largest request',
    );
  }
}

/** A peer broke the connection protocol: a missing or invalid hello, or a frame that has no place here. */
export class ProtocolError extends TransportError {
  override readonly name = 'ProtocolError';
  readonly code = 'PROTOCOL';
}

export type SnapshotTransferCode =
  | 'SNAPSHOT_UNREACHABLE'
  | 'SNAPSHOT_REJECTED'
  | 'SNAPSHOT_CORRUPT'
  | 'SNAPSHOT_TIMEOUT'
  | 'SNAPSHOT_BUSY'
  | 'SNAPSHOT_SOURCE';

/**
 * A snapshot did not reach its destination intact. `code` says why: the peer could not be reached or the
 * connection broke (`SNAPSHOT_UNREACHABLE`), the receiver's handler failed (`SNAPSHOT_REJECTED`), the bytes
 * did not match their checksum (`SNAPSHOT_CORRUPT`), the transfer stalled (`SNAPSHOT_TIMEOUT`), the sender
 * or the receiver is already busy with as many snapshots as it allows (`SNAPSHOT_BUSY`), or reading the
 * stored snapshot failed (`SNAPSHOT_SOURCE`). The leader reports it to Raft as a failed snapshot and
 * tries again later.
 */
export class SnapshotTransferError extends TransportError {
  override readonly name = 'SnapshotTransferError';

  constructor(
    readonly code: SnapshotTransferCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type RpcErrorCode =
  'RPC_TIMEOUT' | 'RPC_UNREACHABLE' | 'RPC_REMOTE' | 'RPC_ABORTED' | 'RPC_OVERLOADED' | 'RPC_PAYLOAD';

export abstract class RpcError extends TransportError {
  abstract override readonly code: RpcErrorCode;
}

/** No answer arrived within the call's timeout. The request may or may not have been carried out. */
export class RpcTimeoutError extends RpcError {
  override readonly name = 'RpcTimeoutError';
  readonly code = 'RPC_TIMEOUT';

  constructor(
    readonly address: string,
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(
      `${method} on ${address} got no answer within ${timeoutMs} ms; it may or may not have been carried out`,
    );
  }
}

/**
 * The peer could not be reached, or the connection broke before the answer came. `sent` tells whether the
 * request may have reached the peer: when false it certainly was not carried out.
 */
export class RpcUnreachableError extends RpcError {
  override readonly name = 'RpcUnreachableError';
  readonly code = 'RPC_UNREACHABLE';

  constructor(
    readonly address: string,
    readonly method: string,
    readonly sent: boolean,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${method} on ${address} failed: ${problem}` +
        (sent ? '; the request may or may not have been carried out' : '; the request was not sent'),
      options,
    );
  }
}

/** The peer's handler failed; `remoteCode` and `remoteMessage` are what it reported. */
export class RpcRemoteError extends RpcError {
  override readonly name = 'RpcRemoteError';
  readonly code = 'RPC_REMOTE';

  constructor(
    readonly address: string,
    readonly method: string,
    readonly remoteCode: string,
    readonly remoteMessage: string,
  ) {
    super(`${method} on ${address} failed there (${remoteCode}): ${remoteMessage}`);
  }
}

/** The caller's abort signal fired before the answer came. */
export class RpcAbortedError extends RpcError {
  override readonly name = 'RpcAbortedError';
  readonly code = 'RPC_ABORTED';

  constructor(
    readonly address: string,
    readonly method: string,
  ) {
    super(`${method} on ${address} was aborted by the caller; it may or may not have been carried out`);
  }
}

/** Too many calls are waiting on one connection; the caller should retry later or send less at once. */
export class RpcOverloadedError extends RpcError {
  override readonly name = 'RpcOverloadedError';
  readonly code = 'RPC_OVERLOADED';
}

/** A request or answer payload cannot be encoded, or is larger than a frame allows. */
export class RpcPayloadError extends RpcError {
  override readonly name = 'RpcPayloadError';
  readonly code = 'RPC_PAYLOAD';
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
