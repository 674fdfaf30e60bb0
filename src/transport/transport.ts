// The port between a node's Ready loop and the network. Two implementations share one conformance
// suite (test/transport/transport-conformance.ts): TcpTransport for real nodes and MemoryTransport for
// unit tests of the loop.

import type { InstallSnapshotRequest, Message } from '../raft/messages.js';
import type { NodeId } from '../raft/types.js';

/**
 * Carries Raft messages to peers. Delivery is best effort, as Raft expects of a network: messages to one
 * peer arrive in the order they were sent or not at all. Whenever a message may have been lost because
 * the peer could not be reached, `onUnreachable` says so; nothing is lost silently except when a link
 * goes dark without any error, which is detected within the implementation's silence timeout.
 */
export interface Transport {
  /**
   * Queues messages for their `to` peers and returns at once. It never blocks and never throws for an
   * unreachable or unknown peer: such messages are dropped and reported through `onUnreachable`.
   */
  send(messages: readonly Message[]): void;
  /** The address to dial for node `id` (from the cluster configuration; tests may override it per peer). */
  setPeer(id: NodeId, address: string): void;
  /** Forgets node `id`: its queue is dropped and later messages to it are reported unreachable. */
  removePeer(id: NodeId): void;
  /**
   * Streams the bytes of a stored snapshot to `message.to`, then delivers `message` there once the
   * receiver has stored them. Resolves when the receiver confirms; rejects with SnapshotTransferError
   * (or TransportClosedError) otherwise, and the leader then reports the snapshot as failed. `data` is
   * called once; its chunks must not be modified after they are yielded.
   */
  sendSnapshot(message: InstallSnapshotRequest, data: () => AsyncIterable<Uint8Array>): Promise<void>;
  /** Stops sending and receiving; pending snapshot transfers fail. Idempotent. */
  close(): Promise<void>;
}

/**
 * What the node provides to a transport. Handlers are never called from inside a Transport method, so
 * that a handler may call back into the node (and the node into the transport) without re-entrance.
 */
export interface TransportHandlers {
  /** A message from a peer, to be stepped. Messages from one peer arrive in the order it sent them. */
  onMessage(message: Message): void;
  /** Messages to `id` may have been lost: the peer is unknown or unreachable, or its queue overflowed. */
  onUnreachable(id: NodeId): void;
  /**
   * A snapshot stream arrived. Store it (the application decides where) and resolve once it is stored;
   * consume `data` to its end, which is where its checksum is verified (iteration throws
   * SnapshotTransferError if the bytes are damaged or the sender goes away). Only after this resolves is
   * `message` delivered through `onMessage`. If it rejects, the message is not delivered and the
   * sender's `sendSnapshot` rejects with the reason.
   */
  onSnapshot(message: InstallSnapshotRequest, data: AsyncIterable<Uint8Array>): Promise<void>;
}
