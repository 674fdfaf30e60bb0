// A stand-in node: an HTTP server in the test process that answers what each test tells it to and records
// what the shell sent, for behaviour a healthy node rarely shows (missing endpoints, odd answers, going
// down, being slow).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface Reply {
  readonly status: number;
  readonly body?: string;
  readonly type?: string;
  /** Answer only after this long (to test Ctrl-C on a running request). */
  readonly delayMs?: number;
}

export class StandInNode {
  readonly requests: Recorded[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly server: http.Server | https.Server;
  /** Replies by `METHOD /path` (query removed); anything else is 404 with an empty body. */
  replies = new Map<string, Reply>();
  /** Called after each answer, e.g. to go down. */
  afterReply: ((request: Recorded) => void) | undefined;

  /** Serves HTTPS when given TLS options, HTTP otherwise. */
  constructor(tls?: https.ServerOptions) {
    const handler = (request: http.IncomingMessage, response: http.ServerResponse): void => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const recorded: Recorded = {
          method: request.method ?? '',
          url: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString(),
        };
        this.requests.push(recorded);
        const key = `${recorded.method} ${recorded.url.split('?')[0] ?? ''}`;
        const reply =
          this.replies.get(key) ?? (key.endsWith('/status') ? { status: 200, body: '{}' } : { status: 404 });
        const answer = (): void => {
          if (response.destroyed) return;
          response.writeHead(reply.status, {
            'content-type': reply.type ?? 'application/json',
            'x-rqlite-version': 'stand-in',
          });
          response.end(reply.body ?? '');
          this.afterReply?.(recorded);
        };
        if (reply.delayMs === undefined) answer();
        else this.timers.push(setTimeout(answer, reply.delayMs));
      });
    };
    this.server = tls === undefined ? http.createServer(handler) : https.createServer(tls, handler);
  }

  start(): Promise<number> {
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
