// One HTTP exchange with one node: send the request (headers, body, credentials), watch the connection,
// Ctrl-C and the time limits, and report a failure with enough detail for the client to decide whether
// another node may be tried (see http-client.ts).
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { RequestFailedError } from './errors.js';
import type { ExchangeMode, RequestBody, RequestSpec } from './http-types.js';
import type { Credentials, Scheme } from './options.js';
import { describeNetworkError, errorCode } from './network-errors.js';

const connectTimeoutMsMax = 10_000;
/** Backups, restores and boots may run long; they are cut only after this much silence. */
const transferIdleTimeoutMsMin = 10 * 60_000;

/** What went wrong in one attempt, and whether the request may have reached the node. */
export class AttemptFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly connected: boolean,
    readonly reusedSocket: boolean,
  ) {
    super(message);
  }
}

/** What an exchange needs from the client. */
export interface ExchangeSettings {
  readonly scheme: Scheme;
  readonly credentials: Credentials | undefined;
  readonly httpTimeoutMs: number;
  readonly userAgent: string;
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;
}

/** One HTTP exchange up to the response headers. Rejects with AttemptFailure. */
export function exchange(
  url: URL,
  spec: RequestSpec,
  mode: ExchangeMode,
  settings: ExchangeSettings,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const host = url.host;
    const headers: http.OutgoingHttpHeaders = { 'user-agent': settings.userAgent };
    const credentials = settings.credentials;
    if (credentials !== undefined) {
      const token = Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64');
      headers.authorization = `Basic ${token}`;
    }
    const body = spec.body;
    if (body !== undefined) {
      headers['content-type'] = body.contentType;
      headers['content-length'] = body.kind === 'bytes' ? body.data.length : body.sizeBytes;
    }
    const request =
      url.protocol === 'https:'
        ? https.request(url, { method: spec.method, headers, agent: settings.httpsAgent })
        : http.request(url, { method: spec.method, headers, agent: settings.httpAgent });

    let connected = false;
    let reusedSocket = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const fail = (failure: AttemptFailure): void => {
      if (settled) return;
      settled = true;
      cleanup();
      request.destroy();
      reject(failure);
    };
    const onAbort = (): void => fail(new AttemptFailure('interrupted', 'EINTERRUPTED', true, reusedSocket));
    const cleanup = (): void => {
      for (const timer of timers) clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
    };

    if (spec.signal?.aborted === true) {
      onAbort();
      return;
    }
    spec.signal?.addEventListener('abort', onAbort, { once: true });

    const connectTimeoutMs = Math.min(settings.httpTimeoutMs, connectTimeoutMsMax);
    timers.push(
      setTimeout(() => {
        if (!connected)
          fail(
            new AttemptFailure(
              `no connection to ${host} within the time limit`,
              'ECONNECTTIMEOUT',
              false,
              false,
            ),
          );
      }, connectTimeoutMs),
    );
    if (mode.kind === 'buffered') {
      timers.push(
        setTimeout(
          () =>
            fail(
              new AttemptFailure(
                `no answer from ${host} within ${mode.deadlineMs / 1000}s (raise the limit with -t)`,
                'ETIMEDOUT',
                true,
                reusedSocket,
              ),
            ),
          mode.deadlineMs,
        ),
      );
    } else {
      const idleMs = Math.max(settings.httpTimeoutMs, transferIdleTimeoutMsMin);
      request.setTimeout(idleMs, () =>
        fail(
          new AttemptFailure(`${host} sent nothing for ${idleMs / 1000}s`, 'ETIMEDOUT', true, reusedSocket),
        ),
      );
    }

    request.on('socket', (socket) => {
      reusedSocket = request.reusedSocket;
      const markConnected = (): void => {
        connected = true;
      };
      if (!socket.connecting) markConnected();
      else socket.once('connect', markConnected);
    });
    request.on('error', (error) => {
      const code = errorCode(error);
      // A reset before the connection was up, or on a reused idle connection, means the request did
      // not reach the node.
      const lostIdleConnection = reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE');
      const reached = connected && !lostIdleConnection;
      fail(
        new AttemptFailure(describeNetworkError(error, host, settings.scheme), code, reached, reusedSocket),
      );
    });
    request.on('response', (response) => {
      if (settled) {
        response.resume();
        return;
      }
      settled = true;
      // From here on, consume() watches for Ctrl-C and the deadline while the body is read.
      cleanup();
      resolve(response);
    });

    if (body === undefined) {
      request.end();
    } else if (body.kind === 'bytes') {
      request.end(body.data);
    } else {
      streamFile(body, request, (error) =>
        fail(new AttemptFailure(`cannot read ${body.path}: ${error.message}`, errorCode(error), true, false)),
      );
    }
  });
}

function streamFile(
  body: Extract<RequestBody, { kind: 'file' }>,
  request: http.ClientRequest,
  onError: (error: Error) => void,
): void {
  const stream = fs.createReadStream(body.path);
  let sent = 0;
  stream.on('data', (chunk) => {
    sent += chunk.length;
    body.onProgress?.(sent, body.sizeBytes);
  });
  stream.on('error', onError);
  request.on('close', () => stream.destroy());
  stream.pipe(request);
}

export async function readBody(
  response: http.IncomingMessage,
  bytesMax: number,
  spec: RequestSpec,
  mode: ExchangeMode,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  await consume(response, spec, mode, (chunk) => {
    total += chunk.length;
    if (total > bytesMax) {
      throw new RequestFailedError(
        `the answer is larger than ${bytesMax / 1024 / 1024} MiB; narrow the query (LIMIT) or use .dump`,
        'ETOOLARGE',
      );
    }
    chunks.push(chunk);
  });
  return Buffer.concat(chunks);
}

/** Reads a response stream to its end, honouring Ctrl-C and, for buffered requests, the deadline. */
export function consume(
  response: Readable,
  spec: RequestSpec,
  mode: ExchangeMode,
  onChunk: (chunk: Buffer) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let finished = false;
    const finish = (error?: unknown): void => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      spec.signal?.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else {
        response.destroy();
        reject(error instanceof Error ? error : new Error('response reading failed'));
      }
    };
    const onAbort = (): void => finish(new RequestFailedError('interrupted', 'EINTERRUPTED'));
    const deadline =
      mode.kind === 'buffered'
        ? setTimeout(
            () =>
              finish(
                new RequestFailedError(
                  `the answer took longer than ${mode.deadlineMs / 1000}s (raise the limit with -t)`,
                  'ETIMEDOUT',
                ),
              ),
            mode.deadlineMs,
          )
        : undefined;
    if (spec.signal?.aborted === true) {
      onAbort();
      return;
    }
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    response.on('data', (chunk: Buffer) => {
      if (finished) return;
      try {
        onChunk(chunk);
      } catch (error) {
        finish(error);
      }
    });
    response.on('end', () => finish());
    response.on('error', (error) =>
      finish(new RequestFailedError(`the answer was cut off: ${error.message}`, errorCode(error))),
    );
    response.on('close', () => {
      if (!response.readableEnded)
        finish(new RequestFailedError('the node closed the connection mid-answer', 'ECONNRESET'));
    });
  });
}
