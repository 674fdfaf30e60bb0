// Plain TCP peers for the proxy's own tests: a server that records (and optionally echoes) what each connection
// sends, a client that records what it receives, and a bounded wait. No Dust code is involved.

import net from 'node:net';
import { performance } from 'node:perf_hooks';

import type { TcpAddress } from './tcp-proxy.js';

/** One end of a TCP connection with everything it received, stamped with arrival times. */
export class RecordedSocket {
  private readonly chunks: Buffer[] = [];
  readonly arrivals: { readonly atMs: number; readonly totalBytes: number }[] = [];
  receivedBytes = 0;
  ended = false;
  closed = false;
  errorCode: string | null = null;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.receivedBytes += chunk.length;
      this.arrivals.push({ atMs: performance.now(), totalBytes: this.receivedBytes });
    });
    socket.on('end', () => (this.ended = true));
    socket.on('error', (error: NodeJS.ErrnoException) => (this.errorCode = error.code ?? error.message));
    socket.on('close', () => (this.closed = true));
  }

  received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.received().toString('utf8');
  }

  /** The time at which the first `byteCount` bytes had all arrived, or null if they have not. */
  arrivalOfByte(byteCount: number): number | null {
    return this.arrivals.find((arrival) => arrival.totalBytes >= byteCount)?.atMs ?? null;
  }
}

export class RecordingServer {
  readonly accepted: RecordedSocket[] = [];

  private constructor(
    private readonly server: net.Server,
    readonly address: TcpAddress,
  ) {}

  /** Listens on 127.0.0.1 with an OS-chosen port; with `echo`, every byte is sent straight back. */
  static async start(
    options: { readonly echo?: boolean; readonly greeting?: string } = {},
  ): Promise<RecordingServer> {
    const server = net.createServer({ allowHalfOpen: false });
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new Error('test server has no TCP address');
    const recording = new RecordingServer(server, { host: bound.address, port: bound.port });
    // Connections are I/O events, so none can be emitted before this handler is attached in the same turn.
    server.on('connection', (socket) => {
      socket.setNoDelay(true);
      recording.accepted.push(new RecordedSocket(socket));
      if (options.greeting !== undefined) socket.write(options.greeting);
      if (options.echo === true) socket.pipe(socket);
    });
    return recording;
  }

  /** Destroys the server's connections and stops listening. */
  async close(): Promise<void> {
    for (const peer of this.accepted) peer.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export async function connectTo(address: TcpAddress): Promise<RecordedSocket> {
  const socket = net.connect({ host: address.host, port: address.port });
  const recorded = new RecordedSocket(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve();
    });
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  return recorded;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 5 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** A small seeded generator (mulberry32), so jitter draws repeat from run to run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Bytes whose value depends on their position, so that any loss, duplication or reordering shows. */
export function patternBytes(offset: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index++) bytes[index] = ((offset + index) * 31 + 7) % 251;
  return bytes;
}
