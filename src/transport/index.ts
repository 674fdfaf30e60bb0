// The public surface of the node-to-node transport.

export type { HostPort } from './address.js';
export { formatAddress, parseAddress } from './address.js';
export { decodeMessage, encodeMessage, messageFormatVersion } from './codec.js';
export * from './errors.js';
export type { ConnectionAcceptor, ListenerOptions, ListenerStats } from './listener.js';
export { Listener } from './listener.js';
export type { CutMode, MemoryNetworkOptions, MemoryNetworkStats } from './memory-transport.js';
export { MemoryNetwork, MemoryTransport } from './memory-transport.js';
export type { TcpTransportLimits } from './options.js';
export { defaultTcpTransportLimits } from './options.js';
export type { PeerLinkState, PeerLinkStats } from './peer-link.js';
export type { RpcCallOptions, RpcClientOptions } from './rpc-client.js';
export { RpcClient } from './rpc-client.js';
export type { RpcCallContext, RpcHandler, RpcServerOptions } from './rpc-server.js';
export { RpcServer, unknownMethodCode } from './rpc-server.js';
export type { TcpTransportOptions, TcpTransportStats } from './tcp-transport.js';
export { TcpTransport } from './tcp-transport.js';
export type { Transport, TransportHandlers } from './transport.js';
export { ConnectionKind, protocolVersion } from './wire.js';
