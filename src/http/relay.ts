// Passing a request on to the leader's own HTTP API and its answer back, for endpoints whose answer is a
// stream of bytes rather than statement results (a backup of the leader's database). The client's query
// string goes as it came; the leader's answer is streamed through without being held whole.
import {
  StoreError,
  type BackupStream,
  type Forwarded,
  type ForwardOptions,
  type LeaderHint,
  LeaderNotFoundError,
} from './store.js';

/** GETs `pathAndQuery` from the leader's API and returns its body as a stream, or the leader's failure. */
export async function relayGetToLeader(
  leader: LeaderHint,
  pathAndQuery: string,
  options: ForwardOptions,
): Promise<Forwarded<BackupStream>> {
  const apiUrl = leader.apiUrl;
  if (apiUrl === undefined || apiUrl === '') throw new LeaderNotFoundError();
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  options.signal.addEventListener('abort', abort, { once: true });
  // The timeout bounds the wait for the answer to begin; the body may then take as long as it needs.
  const timer = setTimeout(abort, Math.max(1, options.timeoutMs));
  let response: Response;
  try {
    response = await fetch(`${apiUrl}${pathAndQuery}`, { signal: controller.signal, redirect: 'manual' });
  } catch (error) {
    options.signal.removeEventListener('abort', abort);
    throw new StoreError('failed', `the leader at ${apiUrl} could not be reached: ${describe(error)}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
  if (response.status !== 200 || response.body === null) {
    options.signal.removeEventListener('abort', abort);
    const text = (await response.text().catch(() => '')).trim();
    throw new StoreError('failed', `the leader at ${apiUrl} answered ${response.status}: ${text}`);
  }
  const body = response.body;
  return {
    servedBy: response.headers.get('X-Rqlite-Served-By') ?? apiUrl,
    value: {
      bytes: body,
      close: async () => {
        options.signal.removeEventListener('abort', abort);
        await body.cancel().catch(() => undefined);
      },
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
