// The sending end of a snapshot connection. A snapshot can be as large as the database, so it is never
// held in memory: chunks are read from the stored snapshot one at a time and written as frames, and the
// next chunk is read only once the socket has drained (its buffer is under its high-water mark). A
// SHA-256 of the bytes goes in the trailer; the receiver checks it before telling its application that
// the stream has ended.

import { createHash } from 'node:crypto';
import net from 'node:net';

import type { InstallSnapshotRequest } from '../raft/messages.js';
import type { NodeId } from '../raft/types.js';
import { formatAddress, type HostPort } from './address.js';
import { encodeMessage } from './codec.js';
import {
  describeError,
  ProtocolError,
  SnapshotTransferError,
  TransportClosedError,
  type SnapshotTransferCode,
} from './errors.js';
import { FramedConnection } from './framed-connection.js';
import type { TcpTransportLimits } from './options.js';
import {
  ConnectionKind,
  decodeRefusal,
  decodeSnapshotResult,
  decodeWelcome,
  encodeHello,
  encodeSnapshotEnd,
  encodeSnapshotHeader,
  FrameKind,
  frameKindOf,
  type SnapshotResult,
} from './wire.js';

export interface SnapshotSend {
  readonly address: HostPort;
  readonly localId: NodeId;
  readonly message: InstallSnapshotRequest;
  readonly data: () => AsyncIterable<Uint8Array>;
  readonly limits: TcpTransportLimits;
  readonly now: () => number;
  /** Fires when the transport closes. */
  readonly signal: AbortSignal;
}

const transferCodes: ReadonlySet<string> = new Set<SnapshotTransferCode>([
  'SNAPSHOT_UNREACHABLE',
  'SNAPSHOT_REJECTED',
  'SNAPSHOT_CORRUPT',
  'SNAPSHOT_TIMEOUT',
  'SNAPSHOT_BUSY',
  'SNAPSHOT_SOURCE',
]);

export async function sendSnapshotOverTcp(send: SnapshotSend): Promise<void> {
  const { address, limits, message } = send;
  const peer = `node ${message.to} at ${formatAddress(address)}`;
  let welcomed = false;
  let result: SnapshotResult | undefined;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;

  const socket = net.connect({ host: address.host, port: address.port });
  const connection = new FramedConnection(socket, {
    frameBytesMax: limits.frameBytesMax,
    now: send.now,
    onFrame: (payload) => {
      const kind = frameKindOf(payload);
      if (kind === FrameKind.welcome) {
        const id = decodeWelcome(payload);
        if (id !== message.to) throw new ProtocolError(`the node there is ${id}, not ${message.to}`);
        welcomed = true;
      } else if (kind === FrameKind.refusal) {
        throw new ProtocolError(`it refused the snapshot: ${decodeRefusal(payload)}`);
      } else if (kind === FrameKind.snapshotResult) {
        result = decodeSnapshotResult(payload);
        wake?.();
      } else {
        throw new ProtocolError(`it sent frame kind ${kind} during a snapshot transfer`);
      }
    },
    onClose: (error) => {
      failure =
        error instanceof SnapshotTransferError || error instanceof TransportClosedError
          ? error
          : new SnapshotTransferError(
              'SNAPSHOT_UNREACHABLE',
              `sending a snapshot to ${peer} failed: ${error === undefined ? 'the connection closed' : describeError(error)}`,
              { cause: error },
            );
      wake?.();
    },
  });

  /** The reason to stop, if any: the receiver's verdict comes first, then a broken connection. */
  const problem = (): Error | undefined => {
    if (result !== undefined) {
      if (result.code === '') return new ProtocolError(`${peer} reported success before the snapshot ended`);
      const code = transferCodes.has(result.code)
        ? (result.code as SnapshotTransferCode)
        : 'SNAPSHOT_REJECTED';
      return new SnapshotTransferError(code, `${peer} did not take the snapshot: ${result.message}`);
    }
    return failure;
  };
  const throwIfFailed = (): void => {
    const error = problem();
    if (error !== undefined) throw error;
  };
  const stall = (what: string, timeoutMs: number): NodeJS.Timeout =>
    setTimeout(
      () =>
        connection.close(
          new SnapshotTransferError('SNAPSHOT_TIMEOUT', `${peer} ${what} within ${timeoutMs} ms`),
        ),
      timeoutMs,
    );

  const abort = (): void => connection.close(new TransportClosedError('transport'));
  send.signal.addEventListener('abort', abort);
  const welcomeTimer = setTimeout(() => {
    if (!welcomed) {
      connection.close(
        new SnapshotTransferError(
          'SNAPSHOT_UNREACHABLE',
          `${peer} did not answer within ${limits.connectTimeoutMs} ms`,
        ),
      );
    }
  }, limits.connectTimeoutMs);
  const source = send.data()[Symbol.asyncIterator]();
  let sourceDone = false;
  try {
    if (send.signal.aborted) abort();
    connection.writeRaw(Uint8Array.of(ConnectionKind.snapshot));
    connection.writeFrame(encodeHello({ from: send.localId, to: message.to }));
    connection.writeFrame(encodeSnapshotHeader(encodeMessage(message)));
    const hash = createHash('sha256');
    let totalBytes = 0;
    for (;;) {
      throwIfFailed();
      let step: IteratorResult<Uint8Array>;
      try {
        step = await source.next();
      } catch (error) {
        sourceDone = true;
        throw new SnapshotTransferError(
          'SNAPSHOT_SOURCE',
          `reading the stored snapshot failed: ${describeError(error)}`,
          {
            cause: error,
          },
        );
      }
      if (step.done === true) {
        sourceDone = true;
        break;
      }
      const chunk = step.value;
      for (let offset = 0; offset < chunk.byteLength; offset += limits.snapshotChunkBytes) {
        throwIfFailed();
        const piece = chunk.subarray(offset, Math.min(offset + limits.snapshotChunkBytes, chunk.byteLength));
        hash.update(piece);
        totalBytes += piece.byteLength;
        if (!connection.writeFrameParts(FrameKind.snapshotChunk, piece)) {
          const timer = stall('took no data', limits.snapshotIdleTimeoutMs);
          await connection.drained().catch(() => undefined);
          clearTimeout(timer);
        }
      }
    }
    throwIfFailed();
    connection.writeFrame(encodeSnapshotEnd({ totalBytes, digest: hash.digest() }));
    if (result === undefined && failure === undefined) {
      const timer = stall('did not confirm the snapshot', limits.snapshotResultTimeoutMs);
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      clearTimeout(timer);
    }
    if (result?.code === '') return;
    throwIfFailed();
    throw new Error('sendSnapshotOverTcp: woken without a result or a failure');
  } finally {
    clearTimeout(welcomeTimer);
    send.signal.removeEventListener('abort', abort);
    connection.close();
    if (!sourceDone) await source.return?.().catch(() => undefined);
  }
}
