// Reading a request body with a size limit. A body larger than the limit is refused as soon as that is
// known (from Content-Length before reading anything, or while streaming a chunked body) so that a client
// cannot make the node buffer more than the limit; a client that goes away mid-body ends the wait.
import type { IncomingMessage } from 'node:http';

/** The body is larger than the configured limit: answered 413. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly bytesMax: number) {
    super(`request body too large: the limit is ${bytesMax} bytes`);
  }
}

/** The client went away before sending its whole body; there is nobody to answer. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
  constructor() {
    super('client closed the connection before the request body was complete');
  }
}

export function readBody(request: IncomingMessage, bytesMax: number): Promise<Buffer> {
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > bytesMax) {
    return Promise.reject(new BodyTooLargeError(bytesMax));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
      if (error === undefined) resolve(Buffer.concat(chunks, received));
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > bytesMax) {
        // Stop buffering; the response (413, Connection: close) ends the exchange.
        request.pause();
        chunks.length = 0;
        finish(new BodyTooLargeError(bytesMax));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (): void => finish(new ClientGoneError());
    const onClose = (): void => {
      if (!request.complete) finish(new ClientGoneError());
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}
