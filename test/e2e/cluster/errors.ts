// Operating errors of the cluster harness. Each names what went wrong and what to do about it, and carries
// the tail of the nodes' logs when the nodes are the likely cause, so a failed run explains itself.

export type ClusterErrorCode =
  | 'CLUSTER_CONFIG'
  | 'CLUSTER_START'
  | 'CLUSTER_NO_LEADER'
  | 'CLUSTER_NOT_CONVERGED'
  | 'CLUSTER_USAGE'
  | 'CLUSTER_SERVER_BROKEN';

export abstract class ClusterError extends Error {
  abstract readonly code: ClusterErrorCode;
}

/** An option or environment variable given to the harness is invalid. */
export class ClusterConfigError extends ClusterError {
  override readonly name = 'ClusterConfigError';
  readonly code = 'CLUSTER_CONFIG';
}

/** A node did not come up, did not join, or exited while it was expected to run. */
export class ClusterStartError extends ClusterError {
  override readonly name = 'ClusterStartError';
  readonly code = 'CLUSTER_START';
}

/** No node was acknowledged as leader by a majority within the allowed time. */
export class NoLeaderError extends ClusterError {
  override readonly name = 'NoLeaderError';
  readonly code = 'CLUSTER_NO_LEADER';
}

/** The nodes did not reach the same state within the allowed time. */
export class NotConvergedError extends ClusterError {
  override readonly name = 'NotConvergedError';
  readonly code = 'CLUSTER_NOT_CONVERGED';
}

/** The harness was asked to do something that cannot apply, such as pausing a node that is not running. */
export class ClusterUsageError extends ClusterError {
  override readonly name = 'ClusterUsageError';
  readonly code = 'CLUSTER_USAGE';
}

/** The server binary answered in a way the harness cannot work with (for example, no usage text at all). */
export class ServerBrokenError extends ClusterError {
  override readonly name = 'ServerBrokenError';
  readonly code = 'CLUSTER_SERVER_BROKEN';
}
