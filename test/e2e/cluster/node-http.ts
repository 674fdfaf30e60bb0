// A small HTTP client for talking to nodes under fault: every request has a deadline, and every failure is
// classified by what it says about the request. A refused connection means the request never reached the
// node; a timeout or a broken connection means it may or may not have taken effect. Tests that check
// histories depend on that difference, so it is decided here once.
import http from 'node:http';

/** The most response bytes one request may return; a larger answer is a test bug, not data. */
export const responseBytesMax = 32 * 1024 * 1024;

export type HttpOutcome =
  /** The node answered with a complete response. */
  | {
      readonly kind: 'answered';
      readonly status: number;
      readonly headers: http.IncomingHttpHeaders;
      readonly text: string;
      readonly json: unknown;
    }
  /** The connection was refused: the request never reached a server process. */
  | { readonly kind: 'refused'; readonly error: string }
  /** No complete answer (timeout, reset, closed): the request may or may not have taken effect. */
  | { readonly kind: 'lost'; readonly error: string };

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** `host:port` of the node's HTTP API. */
  readonly address: string;
  /** Path and query string, e.g. `/db/query?level=none&q=...`. */
  readonly pathAndQuery: string;
  /** A JSON body (serialised here) for POST and DELETE requests. */
  readonly body?: unknown;
  readonly timeoutMs: number;
}

/**
 * One keep-alive connection pool for one test's requests. Redirects are never followed, so a test sees a
 * 301 as the node sent it.
 */
export class NodeHttpClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  async send(request: HttpRequest): Promise<HttpOutcome> {
    const separator = request.address.lastIndexOf(':');
    const host = request.address.slice(0, separator);
    const port = Number(request.address.slice(separator + 1));
    const body = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
    return new Promise<HttpOutcome>((resolve) => {
      let settled = false;
      const settle = (outcome: HttpOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const outgoing = http.request(
        {
          host,
          port,
          method: request.method,
          path: request.pathAndQuery,
          agent: this.agent,
          headers:
            body === undefined
              ? {}
              : { 'Content-Type': 'application/json', 'Content-Length': String(body.length) },
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          let receivedBytes = 0;
          incoming.on('data', (chunk: Buffer) => {
            receivedBytes += chunk.length;
            if (receivedBytes > responseBytesMax) {
              outgoing.destroy(new Error(`response larger than ${responseBytesMax} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          incoming.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            settle({
              kind: 'answered',
              status: incoming.statusCode ?? 0,
              headers: incoming.headers,
              text,
              json: parseJsonOrUndefined(text),
            });
          });
          incoming.on('error', (error) => settle({ kind: 'lost', error: describeError(error) }));
        },
      );
      const timer = setTimeout(() => {
        outgoing.destroy(new Error(`no answer within ${request.timeoutMs} ms`));
      }, request.timeoutMs);
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        settle(
          error.code === 'ECONNREFUSED'
            ? { kind: 'refused', error: describeError(error) }
            : { kind: 'lost', error: describeError(error) },
        );
      });
      outgoing.end(body);
    });
  }

  /** Closes idle connections; requests still in flight finish or fail on their own deadlines. */
  close(): void {
    this.agent.destroy();
  }
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describeError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === undefined ? error.message : `${code}: ${error.message}`;
}

/** One value at a dotted path inside parsed JSON, or undefined when any step is missing. */
export function jsonAt(value: unknown, ...keys: readonly string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function jsonString(value: unknown, ...keys: readonly string[]): string | undefined {
  const found = jsonAt(value, ...keys);
  return typeof found === 'string' ? found : undefined;
}

export function jsonNumber(value: unknown, ...keys: readonly string[]): number | undefined {
  const found = jsonAt(value, ...keys);
  return typeof found === 'number' ? found : undefined;
}

/** A short form of an outcome for assertion messages and logs. */
export function describeOutcome(outcome: HttpOutcome): string {
  switch (outcome.kind) {
    case 'answered':
      return `HTTP ${outcome.status} ${outcome.text.length > 300 ? outcome.text.slice(0, 300) + '…' : outcome.text}`;
    case 'refused':
      return `refused (${outcome.error})`;
    case 'lost':
      return `no answer (${outcome.error})`;
    default: {
      const unexpected: never = outcome;
      throw new Error(`unknown outcome ${JSON.stringify(unexpected)}`);
    }
  }
}
