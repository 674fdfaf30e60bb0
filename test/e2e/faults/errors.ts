// Operating errors of the fault-injecting proxy and the mesh built from it. Each has a stable `code` that a
// test can switch on and a message that says what was wrong and what to pass instead.

export type FaultErrorCode = 'FAULT_CONFIG' | 'FAULT_CLOSED' | 'FAULT_MESH_USAGE';

export abstract class FaultError extends Error {
  abstract readonly code: FaultErrorCode;
}

/** An option or a control value (latency, bandwidth, buffer limit, port...) is out of its allowed range. */
export class FaultConfigError extends FaultError {
  override readonly name = 'FaultConfigError';
  readonly code = 'FAULT_CONFIG';
}

/** A control was used after `close()`: the proxy or mesh no longer owns any socket to act on. */
export class FaultClosedError extends FaultError {
  override readonly name = 'FaultClosedError';
  readonly code = 'FAULT_CLOSED';

  constructor(readonly what: string) {
    super(`${what} is closed: create a new one instead of reusing it after close().`);
  }
}

/** The mesh was asked about a node it does not know, or given groups that overlap. */
export class FaultMeshUsageError extends FaultError {
  override readonly name = 'FaultMeshUsageError';
  readonly code = 'FAULT_MESH_USAGE';
}
