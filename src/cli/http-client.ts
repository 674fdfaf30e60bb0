// The shell's only link to the database: HTTP requests to one node, with failover to the alternatives
// given by -a when the node is down.
//
// Failover happens only when the connection could not be made at all (refused, unreachable, no answer to
// the connect within the limit). Once a request has reached a node, a failure is reported instead of
// retried elsewhere, because the node may already have applied a write and a retry would apply it twice.
// The one exception is a kept-alive connection that the node had closed while idle: such a request never
// reached the node, so it is retried once on a fresh connection to the same node.
import http from 'node:http';
import https from 'node:https';
import { ConnectionError, HttpStatusError, RequestFailedError } from './errors.js';
import { AttemptFailure, consume, exchange, readBody } from './http-exchange.js';
import type { ExchangeSettings } from './http-exchange.js';
import type {
  BufferedResponse,
  ClientConfig,
  ExchangeMode,
  QueryParams,
  RequestSpec,
  TransferProgress,
} from './http-types.js';
import { unreachableCodes } from './network-errors.js';
import type { Scheme } from './options.js';

export type {
  BufferedResponse,
  ClientConfig,
  HttpMethod,
  QueryParams,
  RequestBody,
  RequestSpec,
  TlsFiles,
  TransferProgress,
} from './http-types.js';

/** A buffered answer larger than this is refused: such results belong in a file (.output, .dump). */
export const responseBytesMax = 512 * 1024 * 1024;
/** Error bodies are only shown to the user, so little of them is kept. */
const errorBodyBytesMax = 64 * 1024;
const redirectsMax = 10;

function buildQuery(query: QueryParams | undefined): string {
  if (query === undefined) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === false) continue;
    parts.push(
      value === true ? encodeURIComponent(key) : `${encodeURIComponent(key)}=${encodeURIComponent(value)}`,
    );
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

export class NodeClient {
  private currentIndex = 0;
  // One agent per scheme: requests normally use the configured scheme, but .sysdump follows the
  // addresses the nodes advertise, and a redirect may change scheme.
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent: https.Agent;
  private readonly exchangeSettings: ExchangeSettings;
  /** Called when a request had to move to another node, so that the prompt can show it. */
  onHostChanged: ((host: string) => void) | undefined;

  constructor(private readonly config: ClientConfig) {
    if (config.hosts.length === 0) throw new Error('NodeClient needs at least one host');
    const tls = config.tls;
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: 8,
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.ca === undefined ? {} : { ca: tls.ca }),
      ...(tls.cert === undefined ? {} : { cert: tls.cert }),
      ...(tls.key === undefined ? {} : { key: tls.key }),
    });
    this.exchangeSettings = {
      scheme: config.scheme,
      credentials: config.credentials,
      httpTimeoutMs: config.httpTimeoutMs,
      userAgent: config.userAgent,
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
    };
  }

  /** `host:port` requests go to now. */
  get host(): string {
    const host = this.config.hosts[this.currentIndex];
    if (host === undefined) throw new Error('current host index out of range');
    return host;
  }

  get scheme(): Scheme {
    return this.config.scheme;
  }

  /** Full URL of an API path on the current node, for messages. */
  urlOf(path: string): string {
    return `${this.config.scheme}://${this.host}${this.config.prefix}${path}`;
  }

  /** Sends a request and reads the whole answer, within the -t time limit. */
  async request(spec: RequestSpec): Promise<BufferedResponse> {
    return this.fetchWhole(spec, { kind: 'buffered', deadlineMs: this.config.httpTimeoutMs });
  }

  /**
   * Like request(), for uploads that may take long (.restore, .boot): no overall time limit, only a limit
   * on silence; the answer itself is small and read whole.
   */
  async transfer(spec: RequestSpec): Promise<BufferedResponse> {
    return this.fetchWhole(spec, { kind: 'transfer' });
  }

  /** Like request(), but to an absolute URL and without failover: for talking to one named node. */
  async requestUrl(url: string, signal?: AbortSignal): Promise<BufferedResponse> {
    const mode: ExchangeMode = { kind: 'buffered', deadlineMs: this.config.httpTimeoutMs };
    const spec: RequestSpec = { method: 'GET', path: url, signal };
    const parsed = new URL(url);
    let response: http.IncomingMessage;
    try {
      response = await this.followRedirects(parsed, spec, mode);
    } catch (error) {
      if (error instanceof AttemptFailure) throw new RequestFailedError(error.message, error.code);
      throw error;
    }
    return this.whole(response, parsed.host, spec, mode);
  }

  /**
   * Streams a 200 answer to `onChunk` (a backup, a dump) with no overall time limit, only a limit on
   * silence. Any other status is read (a little of it) and thrown as HttpStatusError.
   */
  async download(
    spec: RequestSpec,
    onChunk: (chunk: Buffer) => void,
    onProgress?: TransferProgress,
  ): Promise<{ readonly bytes: number; readonly host: string }> {
    const mode: ExchangeMode = { kind: 'transfer' };
    const { response, host } = await this.sendWithFailover(spec, mode);
    const status = response.statusCode ?? 0;
    if (status !== 200) {
      const body = await readBody(response, errorBodyBytesMax, spec, mode);
      throw new HttpStatusError(
        spec.method,
        `/${spec.path}`,
        status,
        response.statusMessage ?? '',
        body.toString(),
      );
    }
    const lengthHeader = response.headers['content-length'];
    const totalBytes = lengthHeader === undefined ? undefined : Number(lengthHeader);
    let bytes = 0;
    await consume(response, spec, mode, (chunk) => {
      onChunk(chunk);
      bytes += chunk.length;
      onProgress?.(bytes, totalBytes);
    });
    return { bytes, host };
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async fetchWhole(spec: RequestSpec, mode: ExchangeMode): Promise<BufferedResponse> {
    const { response, host } = await this.sendWithFailover(spec, mode);
    return this.whole(response, host, spec, mode);
  }

  private async whole(
    response: http.IncomingMessage,
    host: string,
    spec: RequestSpec,
    mode: ExchangeMode,
  ): Promise<BufferedResponse> {
    const body = await readBody(response, responseBytesMax, spec, mode);
    return {
      status: response.statusCode ?? 0,
      statusText: response.statusMessage ?? '',
      headers: response.headers,
      body,
      host,
    };
  }

  private async sendWithFailover(
    spec: RequestSpec,
    mode: ExchangeMode,
  ): Promise<{ response: http.IncomingMessage; host: string }> {
    const hosts = this.config.hosts;
    const failures: string[] = [];
    let lastCode = 'EUNKNOWN';
    for (let tried = 0; tried < hosts.length; tried += 1) {
      const index = (this.currentIndex + tried) % hosts.length;
      const host = hosts[index] ?? '';
      const url = new URL(
        `${this.config.scheme}://${host}${this.config.prefix}${spec.path}${buildQuery(spec.query)}`,
      );
      try {
        const response = await this.followRedirects(url, spec, mode);
        if (index !== this.currentIndex) {
          this.currentIndex = index;
          this.onHostChanged?.(host);
        }
        return { response, host };
      } catch (error) {
        if (!(error instanceof AttemptFailure)) throw error;
        if (error.connected || !unreachableCodes.has(error.code)) {
          throw new RequestFailedError(error.message, error.code);
        }
        failures.push(error.message);
        lastCode = error.code;
      }
    }
    const message =
      hosts.length === 1
        ? `cannot reach the node: ${failures[0] ?? 'no answer'}`
        : `cannot reach any node (${failures.join('; ')})`;
    throw new ConnectionError(message, hosts, lastCode);
  }

  private async followRedirects(
    url: URL,
    spec: RequestSpec,
    mode: ExchangeMode,
  ): Promise<http.IncomingMessage> {
    let target = url;
    for (let redirects = 0; ; redirects += 1) {
      const response = await this.attemptWithIdleRetry(target, spec, mode);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      const isRedirect = status === 301 || status === 302 || status === 307 || status === 308;
      if (!isRedirect || location === undefined) return response;
      response.resume();
      if (redirects >= redirectsMax) {
        throw new RequestFailedError(`more than ${redirectsMax} redirects from ${url.host}`, 'EREDIRECTS');
      }
      target = new URL(location, target);
    }
  }

  private async attemptWithIdleRetry(
    url: URL,
    spec: RequestSpec,
    mode: ExchangeMode,
  ): Promise<http.IncomingMessage> {
    try {
      return await exchange(url, spec, mode, this.exchangeSettings);
    } catch (error) {
      const lostIdleConnection = error instanceof AttemptFailure && error.reusedSocket && !error.connected;
      if (lostIdleConnection) {
        return await exchange(url, spec, mode, this.exchangeSettings);
      }
      throw error;
    }
  }
}
