// Network addresses as the command line and the cluster configuration write them: `host:port`, with IPv6
// hosts in brackets (`[::1]:4002`), as rqlite and Go's net package write them.

import { AddressError } from './errors.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const portMax = 65_535;

export function parseAddress(text: string): HostPort {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':')
      throw new AddressError(text, 'an IPv6 host needs a closing "]:"');
    host = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw new AddressError(text, 'the port is missing');
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) throw new AddressError(text, 'write an IPv6 host in brackets');
  }
  if (host === '') throw new AddressError(text, 'the host is missing');
  if (!/^[0-9]{1,5}$/.test(portText)) throw new AddressError(text, 'the port is not a number');
  const port = Number(portText);
  if (port > portMax) throw new AddressError(text, `the port must be at most ${portMax}`);
  return { host, port };
}

export function formatAddress(address: HostPort): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
