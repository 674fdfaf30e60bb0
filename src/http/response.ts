// A response that is written the way Go's net/http writes rqlite's: headers collected first and sent in
// sorted order followed by Date and Content-Length, `http.Error` bodies (plain text, a newline, nosniff),
// `http.Redirect` bodies, and a text content type where Go would have sniffed one. Bodies are buffered,
// so Content-Length is known, except those streamed through stream().
import type { ServerResponse } from 'node:http';

export const jsonContentType = 'application/json; charset=utf-8';
const textContentType = 'text/plain; charset=utf-8';
const htmlContentType = 'text/html; charset=utf-8';

const statusTexts: Readonly<Record<number, string>> = {
  301: 'Moved Permanently',
  302: 'Found',
};

export class ApiResponse {
  /** Header names as Go canonicalises them, in insertion order (sorted when sent). */
  private readonly headers = new Map<string, string>();
  private sent = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly method: string,
  ) {}

  get isSent(): boolean {
    return this.sent || this.response.headersSent;
  }

  set(name: string, value: string): this {
    this.headers.set(name, value);
    return this;
  }

  has(name: string): boolean {
    return this.headers.has(name);
  }

  /** Sends the status and body; a non-empty body without a Content-Type gets Go's sniffed text type. */
  send(status: number, body = ''): void {
    if (this.isSent) throw new Error('ApiResponse: a response was already sent');
    this.sent = true;
    const payload = Buffer.from(body, 'utf8');
    const names = [...this.headers.keys()].sort();
    const raw: string[] = [];
    for (const name of names) raw.push(name, this.headers.get(name) ?? '');
    raw.push('Date', new Date().toUTCString());
    if (this.method !== 'HEAD') raw.push('Content-Length', String(payload.length));
    if (payload.length > 0 && !this.headers.has('Content-Type')) raw.push('Content-Type', textContentType);
    this.response.writeHead(status, raw);
    this.response.end(this.method === 'HEAD' ? undefined : payload);
  }

  /**
   * Sends the status and headers (in the order send() uses) and returns the response for the caller to
   * stream the body into; with no Content-Length, Node sends it chunked. For bodies too large to buffer.
   */
  stream(status: number): ServerResponse {
    if (this.isSent) throw new Error('ApiResponse: a response was already sent');
    this.sent = true;
    const raw: string[] = [];
    for (const name of [...this.headers.keys()].sort()) raw.push(name, this.headers.get(name) ?? '');
    raw.push('Date', new Date().toUTCString());
    this.response.writeHead(status, raw);
    return this.response;
  }

  /** Go's http.Error: a plain-text message and a newline. */
  error(status: number, message: string): void {
    this.headers.set('Content-Type', textContentType);
    this.headers.set('X-Content-Type-Options', 'nosniff');
    this.send(status, `${message}\n`);
  }

  /**
   * Go's http.Redirect: a short HTML body for GET, unless the handler had already chosen a content type
   * (rqlite's data endpoints set JSON first, so their redirects have no body).
   */
  redirect(status: 301 | 302, location: string): void {
    const hadContentType = this.headers.has('Content-Type');
    this.headers.set('Location', location);
    if (!hadContentType && (this.method === 'GET' || this.method === 'HEAD')) {
      this.headers.set('Content-Type', htmlContentType);
    }
    const body =
      !hadContentType && this.method === 'GET'
        ? `<a href="${escapeHtml(location)}">${statusTexts[status] ?? ''}</a>.\n\n`
        : '';
    this.send(status, body);
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => {
    switch (character) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&#34;';
      default:
        return '&#39;';
    }
  });
}
