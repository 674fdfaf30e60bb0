// One HTTP request from the benchmark: sent on a given keep-alive agent, bounded in time and in the size
// of the answer it will read.
import http from 'node:http';

export interface HttpTarget {
  readonly host: string;
  readonly port: number;
}

export interface HttpRequestSpec {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** A JSON body; absent for GET. */
  readonly body?: string;
}

export interface HttpAnswer {
  readonly statusCode: number;
  readonly body: string;
}

/** A request that got no complete answer in time. */
export class RequestTimeoutError extends Error {
  readonly code = 'REQUEST_TIMEOUT';
  constructor(spec: HttpRequestSpec, timeoutMs: number) {
    super(`${spec.method} ${spec.path} got no complete answer within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

/** An answer larger than the benchmark is willing to hold. */
export class AnswerTooLargeError extends Error {
  readonly code = 'ANSWER_TOO_LARGE';
  constructor(spec: HttpRequestSpec, bytesMax: number) {
    super(`${spec.method} ${spec.path} answered with more than ${bytesMax} bytes`);
    this.name = 'AnswerTooLargeError';
  }
}

/** The largest answer read; a 10,000-statement batch answers with about half a megabyte. */
const answerBytesMax = 64 * 1024 * 1024;

export function sendRequest(
  target: HttpTarget,
  spec: HttpRequestSpec,
  agent: http.Agent,
  timeoutMs: number,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = {};
    if (spec.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(spec.body);
    }
    const request = http.request(
      { host: target.host, port: target.port, method: spec.method, path: spec.path, agent, headers },
      (response) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.byteLength;
          if (bytes > answerBytesMax) {
            request.destroy(new AnswerTooLargeError(spec, answerBytesMax));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({ statusCode: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.setTimeout(timeoutMs, () => request.destroy(new RequestTimeoutError(spec, timeoutMs)));
    request.on('error', reject);
    request.end(spec.body);
  });
}
