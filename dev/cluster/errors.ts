/** The cluster launcher's error. */

/** Thrown when the cluster cannot start; the parts it had started are stopped. */
export class ClusterStartError extends Error {
  override readonly name = 'ClusterStartError';
  readonly code = 'CLUSTER_START';
}
