// One TCP socket seen as a stream of frames, shared by every kind of connection on the Raft port. It
// records when bytes last arrived (the evidence that the peer is alive), turns protocol violations into a
// closed connection instead of a crash, and reports the end of the connection exactly once.

import type { Socket } from 'node:net';

import { describeError, TransportError } from './errors.js';
import { encodeFrames, FrameDecoder, frameHeader } from './framing.js';

export interface FramedConnectionOptions {
  readonly frameBytesMax: number;
  readonly now: () => number;
  /** A complete frame's payload. Throwing a TransportError closes the connection with it. */
  readonly onFrame: (payload: Uint8Array) => void;
  /** The connection ended: `error` says why, or is undefined when this side closed it without one. */
  readonly onClose: (error: Error | undefined) => void;
}

export class ConnectionLostError extends Error {
  override readonly name = 'ConnectionLostError';
}

export class FramedConnection {
  private readonly decoder: FrameDecoder;
  private isClosed = false;
  /** When bytes last arrived, in the clock of `options.now`. */
  lastReadAtMs: number;
  /** Resolves once the socket has released its file descriptor. */
  readonly released: Promise<void>;

  constructor(
    readonly socket: Socket,
    private readonly options: FramedConnectionOptions,
  ) {
    this.decoder = new FrameDecoder(options.frameBytesMax);
    this.lastReadAtMs = options.now();
    this.released = new Promise((resolve) => {
      if (socket.closed) resolve();
      else socket.once('close', () => resolve());
    });
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.close(error));
    socket.on('end', () => this.close(new ConnectionLostError('the peer closed the connection')));
    socket.on('close', () => this.close(new ConnectionLostError('the connection closed')));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Whether the socket's buffer is over its high-water mark: wait for 'drain' before writing more. */
  get needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  /** Bytes handed to the socket and not yet passed to the kernel. */
  get unsentBytes(): number {
    return this.socket.writableLength;
  }

  /** Bytes already read from the socket (the first chunk, minus the connection kind byte). */
  receive(chunk: Uint8Array): void {
    if (this.isClosed) return;
    this.lastReadAtMs = this.options.now();
    let frames: Uint8Array[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.close(error instanceof Error ? error : new Error(describeError(error)));
      return;
    }
    for (const frame of frames) {
      if (this.isClosed) return;
      try {
        this.options.onFrame(frame);
      } catch (error) {
        // A peer's bad bytes cost it its connection; anything else is a bug here and must be loud.
        if (!(error instanceof TransportError)) throw error;
        this.close(error);
      }
    }
  }

  /** Writes bytes that are already framed. Returns false when the caller should wait for 'drain'. */
  writeRaw(bytes: Uint8Array): boolean {
    if (this.isClosed) return false;
    return this.socket.write(bytes);
  }

  writeFrame(payload: Uint8Array): boolean {
    return this.writeRaw(encodeFrames([payload], payload.byteLength));
  }

  /** A frame of a kind byte and a body, written without copying the body (snapshot chunks). */
  writeFrameParts(kind: number, body: Uint8Array): boolean {
    if (this.isClosed) return false;
    this.socket.cork();
    this.socket.write(frameHeader(body.byteLength + 1));
    this.socket.write(Uint8Array.of(kind));
    const ok = this.socket.write(body);
    this.socket.uncork();
    return ok;
  }

  /** Resolves on 'drain'; rejects when the connection closes first. */
  drained(): Promise<void> {
    if (this.isClosed) return Promise.reject(new ConnectionLostError('the connection closed'));
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.socket.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        this.socket.off('drain', onDrain);
        reject(new ConnectionLostError('the connection closed'));
      };
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.isClosed) this.socket.resume();
  }

  /** Sends what is buffered, then closes (used after a final frame such as a refusal). */
  end(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.socket.end();
    // A peer that never reads must not hold the socket open: destroy it shortly after.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.options.onClose(undefined);
  }

  /** Closes at once; buffered writes are discarded. `onClose` is called with `error`. */
  close(error?: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.socket.destroy();
    this.options.onClose(error);
  }
}
