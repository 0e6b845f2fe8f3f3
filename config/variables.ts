/**
 * Every environment variable otpflow reads, with its default: the list `.env.example`,
 * docker-compose.yml and the README are checked against (test/compose.test.ts).
 */

export interface VariableDoc {
  name: string;
  /** Who reads it. */
  usedBy: ('worker' | 'api' | 'setup' | 'dev' | 'client')[];
  description: string;
  default?: string;
}

/** otpflow's own variables (read by `loadConfig`). */
export const OTPFLOW_VARIABLES: readonly VariableDoc[] = [
  {
    name: 'OTPFLOW_CONFIG',
    usedBy: ['worker', 'api', 'setup', 'dev', 'client'],
    description: 'Applications file',
    default: 'otpflow.config.json',
  },
  {
    name: 'INFOBIP_BASE_URL',
    usedBy: ['worker', 'setup'],
    description: "Your Infobip account's base URL",
    default: 'https://api.infobip.com',
  },
  {
    name: 'INFOBIP_API_KEY',
    usedBy: ['worker', 'setup'],
    description: 'Infobip API key (2FA and Number Lookup scopes)',
  },
  {
    name: 'OTPFLOW_API_KEYS',
    usedBy: ['api'],
    description:
      'Comma-separated bearer keys of the HTTP API (16+ characters each); admin:<key> marks a key that may also use /v1/guard',
  },
  {
    name: 'OTPFLOW_API_RATE_LIMIT',
    usedBy: ['api'],
    description: 'Requests per second each API key may make to one API instance (token bucket; 0: off)',
    default: '50',
  },
  {
    name: 'OTPFLOW_API_RATE_BURST',
    usedBy: ['api'],
    description: 'Size of that token bucket: requests a key may make at once',
    default: 'twice OTPFLOW_API_RATE_LIMIT',
  },
  {
    name: 'OTPFLOW_API_HOST',
    usedBy: ['api'],
    description: 'Interface the HTTP API listens on',
    default: '127.0.0.1',
  },
  { name: 'OTPFLOW_API_PORT', usedBy: ['api'], description: 'Port of the HTTP API', default: '8080' },
  {
    name: 'OTPFLOW_DELIVERY_REPORT_CREDENTIALS',
    usedBy: ['api'],
    description:
      "USER:PASSWORD,… HTTP Basic credentials Infobip's subscription pushes delivery reports with; empty: pushes refused",
  },
  {
    name: 'OTPFLOW_TASK_QUEUE',
    usedBy: ['worker', 'api', 'client'],
    description: 'Task queue of the workers',
    default: 'otpflow',
  },
  {
    name: 'OTPFLOW_DESTINATION_HASH_KEY',
    usedBy: ['worker', 'api', 'client'],
    description:
      'Key of the destination hash in IDs and search attributes (32+ bytes, hex or base64); the worker refuses starts keyed with another',
  },
  {
    name: 'OTPFLOW_ENCRYPTION_KEYS',
    usedBy: ['worker', 'api', 'client'],
    description: 'keyId:base64key,… (32-byte keys; the first encrypts, all decrypt); empty: no encryption',
  },
  {
    name: 'OTPFLOW_CODEC_PORT',
    usedBy: ['worker'],
    description: 'Serve the codec endpoint on this port (needs OTPFLOW_ENCRYPTION_KEYS)',
  },
  {
    name: 'OTPFLOW_CODEC_HOST',
    usedBy: ['worker'],
    description: 'Interface of the codec endpoint',
    default: '127.0.0.1',
  },
  {
    name: 'OTPFLOW_CODEC_CORS_ORIGINS',
    usedBy: ['worker'],
    description: 'Web UI origins allowed to call the codec endpoint',
    default: 'http://localhost:8233,http://127.0.0.1:8233',
  },
  {
    name: 'OTPFLOW_CODEC_API_KEYS',
    usedBy: ['worker'],
    description: 'Bearer keys the codec endpoint accepts; empty: no authentication',
  },
  {
    name: 'OTPFLOW_METRICS_ADDRESS',
    usedBy: ['worker'],
    description: 'host:port of the Prometheus endpoint (/metrics); unset: no metrics endpoint',
  },
  {
    name: 'OTPFLOW_LOG_LEVEL',
    usedBy: ['worker', 'api'],
    description: 'trace, debug, info, warn, error, fatal or silent',
    default: 'info',
  },
  {
    name: 'OTPFLOW_SHUTDOWN_GRACE_SECONDS',
    usedBy: ['worker'],
    description: 'Time in-flight activities get to finish on SIGTERM',
    default: '10',
  },
];

/** Temporal's standard client variables, read through `@temporalio/envconfig`. */
export const TEMPORAL_VARIABLES: readonly string[] = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_CODEC_ENDPOINT',
  'TEMPORAL_CODEC_AUTH',
];

/** True for a variable otpflow or Temporal's envconfig reads (webhook secrets aside: their names come from the file). */
export function isKnownVariable(name: string): boolean {
  return (
    OTPFLOW_VARIABLES.some((v) => v.name === name) ||
    TEMPORAL_VARIABLES.includes(name) ||
    name.startsWith('TEMPORAL_GRPC_META_')
  );
}
