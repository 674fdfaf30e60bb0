// Every command-line flag dustd accepts: rqlited's flags (so that rqlite users' command lines work as
// written) and Dust's own. This table is the single source of truth for parsing, defaults, `-h` and the
// start-up report of flags whose feature is not built yet.

export type FlagKind = 'bool' | 'string' | 'int' | 'duration';

export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  /** The value when the flag is not given, in the flag's own syntax (as `-h` shows it). */
  readonly defaultValue: string;
  readonly help: string;
  /**
   * Set when the flag is accepted but its feature is not built yet: the reason is reported once at start-up
   * if the flag is given, so that nothing is silently ignored.
   */
  readonly notSupportedYet?: string;
  /** Other names accepted for the flag (old rqlite spellings). */
  readonly aliases?: readonly string[];
}

const tls = 'TLS is not built yet';
const auth = 'authentication is not built yet';
const cluster = 'this part of clustering is not built yet';
const discovery = 'automatic discovery is not built yet';

export const flagSpecs: readonly FlagSpec[] = [
  { name: 'version', kind: 'bool', defaultValue: 'false', help: 'Print the version and exit' },
  {
    name: 'node-id',
    kind: 'string',
    defaultValue: '',
    help: 'Unique ID for this node; must never change (default: the advertised Raft address)',
  },
  { name: 'http-addr', kind: 'string', defaultValue: 'localhost:4001', help: 'HTTP API bind address' },
  {
    name: 'http-adv-addr',
    kind: 'string',
    defaultValue: '',
    help: 'Advertised HTTP API address (default: -http-addr)',
  },
  {
    name: 'http-allow-origin',
    kind: 'string',
    defaultValue: '',
    help: 'Value for the Access-Control-Allow-Origin header of HTTP responses',
  },
  {
    name: 'auth',
    kind: 'string',
    defaultValue: '',
    help: 'Path to a credentials file',
    notSupportedYet: auth,
  },
  {
    name: 'auto-backup',
    kind: 'string',
    defaultValue: '',
    help: 'Path to an automatic backup configuration file',
    notSupportedYet: 'automatic backups are not built yet',
  },
  {
    name: 'auto-restore',
    kind: 'string',
    defaultValue: '',
    help: 'Path to an automatic restore configuration file',
    notSupportedYet: 'automatic restore is not built yet',
  },
  {
    name: 'http-ca-cert',
    kind: 'string',
    defaultValue: '',
    help: 'Path to the CA certificate for HTTPS',
    notSupportedYet: tls,
  },
  {
    name: 'http-cert',
    kind: 'string',
    defaultValue: '',
    help: 'Path to the HTTPS certificate',
    notSupportedYet: tls,
  },
  {
    name: 'http-key',
    kind: 'string',
    defaultValue: '',
    help: 'Path to the HTTPS private key',
    notSupportedYet: tls,
  },
  {
    name: 'http-verify-client',
    kind: 'bool',
    defaultValue: 'false',
    help: 'Require and verify HTTP client certificates',
    notSupportedYet: tls,
  },
  {
    name: 'http-verify-common-name',
    kind: 'string',
    defaultValue: '',
    help: 'Common name a client certificate must carry',
    notSupportedYet: tls,
  },
  {
    name: 'node-ca-cert',
    kind: 'string',
    defaultValue: '',
    help: 'Path to the CA certificate for inter-node TLS',
    notSupportedYet: tls,
  },
  {
    name: 'node-cert',
    kind: 'string',
    defaultValue: '',
    help: 'Path to the inter-node TLS certificate',
    notSupportedYet: tls,
  },
  {
    name: 'node-key',
    kind: 'string',
    defaultValue: '',
    help: 'Path to the inter-node TLS private key',
    notSupportedYet: tls,
  },
  {
    name: 'node-no-verify',
    kind: 'bool',
    defaultValue: 'false',
    help: 'Skip verification of other nodes certificates',
    notSupportedYet: tls,
  },
  {
    name: 'node-verify-client',
    kind: 'bool',
    defaultValue: 'false',
    help: 'Require and verify certificates of connecting nodes',
    notSupportedYet: tls,
  },
  {
    name: 'node-verify-server-name',
    kind: 'string',
    defaultValue: '',
    help: 'Host name other nodes certificates must carry',
    notSupportedYet: tls,
  },
  {
    name: 'node-verify-common-name',
    kind: 'string',
    defaultValue: '',
    help: 'Common name other nodes certificates must carry',
    notSupportedYet: tls,
  },
  {
    name: 'compress-snap-transport',
    kind: 'bool',
    defaultValue: 'false',
    help: 'Compress snapshots sent between nodes',
    notSupportedYet: cluster,
  },
  {
    name: 'raft-addr',
    kind: 'string',
    defaultValue: 'localhost:4002',
    help: 'Raft (inter-node) bind address',
  },
  {
    name: 'raft-adv-addr',
    kind: 'string',
    defaultValue: '',
    help: 'Advertised Raft address (default: -raft-addr)',
  },
  {
    name: 'join',
    kind: 'string',
    defaultValue: '',
    help: 'Comma-separated Raft (or http://) addresses of nodes to join',
  },
  {
    name: 'join-attempts',
    kind: 'int',
    defaultValue: '5',
    help: 'Number of join attempts per address',
  },
  {
    name: 'join-interval',
    kind: 'duration',
    defaultValue: '3s',
    help: 'Period between join attempts',
  },
  {
    name: 'join-as',
    kind: 'string',
    defaultValue: '',
    help: 'User (from -auth) whose credentials are used to join',
    notSupportedYet: auth,
  },
  {
    name: 'bootstrap-expect',
    kind: 'int',
    defaultValue: '0',
    help: 'Minimum number of voters to wait for before bootstrapping a cluster',
  },
  {
    name: 'bootstrap-expect-timeout',
    kind: 'duration',
    defaultValue: '120s',
    help: 'Give up bootstrapping after this long',
  },
  {
    name: 'disco-mode',
    kind: 'string',
    defaultValue: '',
    help: 'Discovery mode: dns, dns-srv, consul-kv or etcd-kv',
    notSupportedYet: discovery,
  },
  {
    name: 'disco-key',
    kind: 'string',
    defaultValue: 'rqlite',
    help: 'Key prefix for cluster discovery',
    notSupportedYet: discovery,
  },
  {
    name: 'disco-config',
    kind: 'string',
    defaultValue: '',
    help: 'Discovery configuration (JSON, or a path to a JSON file)',
    notSupportedYet: discovery,
  },
  { name: 'fk', kind: 'bool', defaultValue: 'false', help: 'Enable SQLite foreign key constraints' },
  {
    name: 'db-max-ro-conns',
    kind: 'int',
    defaultValue: '256',
    help: 'Maximum number of read-only SQLite connections (0 = unlimited)',
  },
  {
    name: 'auto-vacuum-int',
    kind: 'duration',
    defaultValue: '0s',
    help: 'Period between automatic VACUUMs (0 disables)',
    notSupportedYet: 'automatic VACUUM is not built yet',
  },
  {
    name: 'auto-optimize-int',
    kind: 'duration',
    defaultValue: '24h',
    help: "Period between automatic 'PRAGMA optimize' runs (0 disables)",
    notSupportedYet: "automatic 'PRAGMA optimize' is not built yet",
  },
  {
    name: 'raft-log-level',
    kind: 'string',
    defaultValue: 'WARN',
    help: 'Minimum level of consensus log messages: ERROR, WARN, INFO or DEBUG',
  },
  {
    name: 'raft-non-voter',
    kind: 'bool',
    defaultValue: 'false',
    help: 'Join as a read replica that does not vote',
  },
  {
    name: 'raft-snap',
    kind: 'int',
    defaultValue: '8192',
    help: 'Number of log entries since the last snapshot that trigger a new snapshot',
  },
  {
    name: 'raft-snap-wal-size',
    kind: 'int',
    defaultValue: '4194304',
    help: 'SQLite WAL size in bytes that triggers a snapshot (0 disables)',
    notSupportedYet: 'WAL-size snapshot triggers are not built yet (the entry count and interval are)',
  },
  {
    name: 'raft-snap-int',
    kind: 'duration',
    defaultValue: '10s',
    help: 'How often the snapshot thresholds are checked',
  },
  {
    name: 'raft-leader-lease-timeout',
    kind: 'duration',
    defaultValue: '0s',
    help: 'Leader lease timeout (0 = the default)',
    notSupportedYet:
      'a leader steps down after an election timeout without hearing from a quorum; there is no separate lease timeout',
  },
  {
    name: 'raft-heartbeat-timeout',
    kind: 'duration',
    defaultValue: '1s',
    help: 'Raft heartbeat timeout',
    aliases: ['raft-timeout'],
  },
  {
    name: 'raft-commit-timeout',
    kind: 'duration',
    defaultValue: '50ms',
    help: 'Raft commit timeout',
    notSupportedYet:
      'a leader sends a new commit index to its followers at once; there is nothing to wait for',
  },
  {
    name: 'raft-election-timeout',
    kind: 'duration',
    defaultValue: '1s',
    help: 'Raft election timeout',
  },
  {
    name: 'raft-apply-timeout',
    kind: 'duration',
    defaultValue: '10s',
    help: 'How long a write may wait to be committed and applied',
  },
  {
    name: 'raft-remove-shutdown',
    kind: 'bool',
    defaultValue: 'false',
    help: 'Shut down if this node is removed from the cluster',
  },
  {
    name: 'raft-cluster-remove-shutdown',
    kind: 'bool',
    defaultValue: 'false',
    help: 'Remove this node from the cluster on graceful shutdown',
  },
  {
    name: 'raft-shutdown-stepdown',
    kind: 'bool',
    defaultValue: 'true',
    help: 'Transfer leadership before a graceful shutdown',
  },
  {
    name: 'raft-reap-node-timeout',
    kind: 'duration',
    defaultValue: '0h',
    help: 'Remove voters unreachable for this long (0 = never)',
  },
  {
    name: 'raft-reap-read-only-node-timeout',
    kind: 'duration',
    defaultValue: '0h',
    help: 'Remove read replicas unreachable for this long (0 = never)',
  },
  {
    name: 'cluster-connect-timeout',
    kind: 'duration',
    defaultValue: '30s',
    help: 'Timeout for the first connection to another node',
    notSupportedYet: cluster,
  },
  {
    name: 'write-queue-capacity',
    kind: 'int',
    defaultValue: '1024',
    help: 'Capacity of the queued-writes queue',
  },
  {
    name: 'write-queue-batch-size',
    kind: 'int',
    defaultValue: '128',
    help: 'Queued-writes batch size, in requests',
  },
  {
    name: 'write-queue-timeout',
    kind: 'duration',
    defaultValue: '50ms',
    help: 'Longest time a queued write waits for its batch',
  },
  {
    name: 'write-queue-tx',
    kind: 'bool',
    defaultValue: 'false',
    help: 'Run each queued-writes batch in a transaction',
  },
  {
    name: 'extensions-path',
    kind: 'string',
    defaultValue: '',
    help: 'Comma-separated SQLite extensions to load',
    notSupportedYet: 'SQLite extensions are not built yet',
  },
  {
    name: 'cdc-config',
    kind: 'string',
    defaultValue: '',
    help: 'Change-data-capture configuration',
    notSupportedYet: 'change data capture is not built yet',
  },
  ...['otlp-endpoint', 'otlp-ca-cert', 'otlp-cert', 'otlp-key'].map((name): FlagSpec => ({
    name,
    kind: 'string',
    defaultValue: '',
    help: 'OpenTelemetry metrics export setting',
    notSupportedYet: 'OpenTelemetry export is not built yet',
  })),
  {
    name: 'otlp-interval',
    kind: 'duration',
    defaultValue: '30s',
    help: 'OpenTelemetry metrics export period',
    notSupportedYet: 'OpenTelemetry export is not built yet',
  },
  ...['otlp-insecure', 'otlp-no-verify'].map((name): FlagSpec => ({
    name,
    kind: 'bool',
    defaultValue: 'false',
    help: 'OpenTelemetry metrics export setting',
    notSupportedYet: 'OpenTelemetry export is not built yet',
  })),
  ...['cpu-profile', 'mem-profile', 'trace-profile'].map((name): FlagSpec => ({
    name,
    kind: 'string',
    defaultValue: '',
    help: 'Write a profile to this path',
    notSupportedYet: 'profiling output is not built yet (use node --cpu-prof)',
  })),
  // Dust's own flags.
  {
    name: 'on-disk',
    kind: 'bool',
    defaultValue: 'false',
    help: 'Keep the SQLite database in a file under the data directory (default: in memory, rebuilt at start)',
  },
  {
    name: 'on-disk-path',
    kind: 'string',
    defaultValue: '',
    help: 'Path of the SQLite file with -on-disk (default: DATA_DIR/db.sqlite)',
  },
  {
    name: 'on-disk-startup',
    kind: 'bool',
    defaultValue: 'false',
    help: 'Accepted for old rqlite command lines; has no effect',
  },
  {
    name: 'http-body-max',
    kind: 'int',
    defaultValue: '67108864',
    help: 'Largest request body the HTTP API accepts, in bytes',
  },
  {
    name: 'statements-max',
    kind: 'int',
    defaultValue: '100000',
    help: 'Most statements one request may carry',
  },
];
