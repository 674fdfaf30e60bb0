// Short constructors for hand-written histories in tests: one line per operation, times first.

import type { KeyValueOperation } from './key-value-model.js';

const NO_RESPONSE = Number.POSITIVE_INFINITY;

/** A put that was acknowledged, or whose outcome is unknown when `returned` is 'lost'. */
export function put(
  client: number,
  call: number,
  returned: number | 'lost',
  key: string,
  value: string,
): KeyValueOperation {
  const input = { kind: 'put', key, value } as const;
  return returned === 'lost'
    ? { client, input, call, return: NO_RESPONSE, output: undefined }
    : { client, input, call, return: returned, output: { kind: 'put' } };
}

export function get(
  client: number,
  call: number,
  returned: number | 'lost',
  key: string,
  value: string | null,
): KeyValueOperation {
  const input = { kind: 'get', key } as const;
  return returned === 'lost'
    ? { client, input, call, return: NO_RESPONSE, output: undefined }
    : { client, input, call, return: returned, output: { kind: 'get', value } };
}

/** A compare-and-set; `swapped` is undefined when its outcome is unknown. */
export function cas(
  client: number,
  call: number,
  returned: number | 'lost',
  key: string,
  from: string | null,
  to: string,
  swapped?: boolean,
): KeyValueOperation {
  const input = { kind: 'cas', key, from, to } as const;
  if (returned === 'lost' || swapped === undefined) {
    return { client, input, call, return: returned === 'lost' ? NO_RESPONSE : returned, output: undefined };
  }
  return { client, input, call, return: returned, output: { kind: 'cas', ok: swapped } };
}
