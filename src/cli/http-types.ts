// The vocabulary of the shell's HTTP client, shared by the client and the single exchange it is built on.
import type http from 'node:http';
import type { Credentials, Scheme } from './options.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/** Query parameters; `true` is a presence flag (`?timings`), `false` and undefined leave the key out. */
export type QueryParams = Readonly<Record<string, string | boolean | undefined>>;

export type TransferProgress = (doneBytes: number, totalBytes: number | undefined) => void;

export type RequestBody =
  | { readonly kind: 'bytes'; readonly data: Uint8Array; readonly contentType: string }
  | {
      readonly kind: 'file';
      readonly path: string;
      readonly sizeBytes: number;
      readonly contentType: string;
      readonly onProgress?: TransferProgress | undefined;
    };

export interface RequestSpec {
  readonly method: HttpMethod;
  /** Path below the API prefix, without a leading slash: `db/request`. */
  readonly path: string;
  readonly query?: QueryParams | undefined;
  readonly body?: RequestBody | undefined;
  /** Aborts the request when the user presses Ctrl-C. */
  readonly signal?: AbortSignal | undefined;
}

export interface BufferedResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** `host:port` that answered. */
  readonly host: string;
}

export interface TlsFiles {
  readonly ca: Buffer | undefined;
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
  readonly rejectUnauthorized: boolean;
}

export interface ClientConfig {
  readonly scheme: Scheme;
  readonly hosts: readonly string[];
  readonly prefix: string;
  readonly credentials: Credentials | undefined;
  readonly httpTimeoutMs: number;
  readonly tls: TlsFiles;
  readonly userAgent: string;
}

/** How long a request may take: all of it within a deadline, or (long transfers) only a limit on silence. */
export type ExchangeMode =
  { readonly kind: 'buffered'; readonly deadlineMs: number } | { readonly kind: 'transfer' };
