/**
 * Shape of otpflow's configuration: the applications file (`otpflow.config.json`) plus the
 * secrets and connection settings that come from the environment. `loadConfig` produces it.
 */
import type { ClientConnectConfig } from '@temporalio/envconfig';
import type { Channel, LookupPolicy, PinType } from '../domain/types';
import type { GuardDeclaration } from '../domain/guard-policy';

/** An SMS or voice message template for one language. */
export interface PhoneTemplateDeclaration {
  /** Text with `{{pin}}` and optional `{{name}}` placeholders. */
  messageText: string;
  /** SMS sender ID. */
  senderId?: string;
  /** Voice: TTS voice name. */
  voiceName?: string;
  /** Voice: 0.5–2. */
  speechRate?: number;
  /** Voice: DTMF that repeats the message, e.g. `1#`. */
  repeatDTMF?: string;
}

/** An e-mail template (Infobip e-mail template ID and sender). */
export interface EmailTemplateDeclaration {
  emailTemplateId: number;
  from: string;
}

/** Infobip application configuration, sent as-is by `otpflow setup`. */
export interface InfobipApplicationConfiguration {
  pinAttempts: number;
  allowMultiplePinVerifications: boolean;
  pinTimeToLive: string;
  verifyPinLimit: string;
  sendPinPerApplicationLimit: string;
  sendPinPerPhoneNumberLimit: string;
}

/** One application as declared in the configuration file. */
export interface ApplicationDeclaration {
  /** Unique name; also the Infobip application name. */
  name: string;
  enabled: boolean;
  /** PIN alphabet and length of every template of this application. */
  pin: { type: PinType; length: number };
  /** Language used when a start names none, or one without a template for its channel. */
  defaultLanguage: string;
  /** ISO 3166-1 alpha-2 country of phone numbers typed without a country code; absent: `+` or `00` required. */
  defaultCountry?: string;
  /** Templates per channel and language (`{ sms: { en: {...} } }`). */
  templates: {
    sms?: Record<string, PhoneTemplateDeclaration>;
    voice?: Record<string, PhoneTemplateDeclaration>;
    email?: Record<string, EmailTemplateDeclaration>;
  };
  infobip: InfobipApplicationConfiguration;
  policy: {
    lookup: LookupPolicy;
    ttlSeconds: number;
    maxAttempts: number;
    resendCooldownSeconds: number;
    maxResends: number;
    fallback: { channel: Channel; afterSeconds: number }[];
    allowedCountries: string[];
    voiceForLandlines: boolean;
    /** Ask Infobip for delivery reports of SMS and voice messages. @default true */
    trackDelivery?: boolean;
    /** Seconds a code check may take while Infobip does not answer; the file's default is 5. */
    checkTimeoutSeconds?: number;
  };
  /** Signed POST on every terminal state. `secretEnv` names the environment variable holding the HMAC secret. */
  webhook?: { url: string; secretEnv: string };
  /** The abuse guard: lockouts, velocity limits, the pumping breaker. Absent parts take their defaults. */
  guard?: GuardDeclaration;
}

/** Everything a process of otpflow needs, validated. */
export interface OtpflowConfig {
  applications: ApplicationDeclaration[];
  infobip: { baseUrl: string; apiKey: string };
  temporal: {
    taskQueue: string;
    /** Namespace from `@temporalio/envconfig` (TEMPORAL_NAMESPACE or the profile). @default 'default' */
    namespace?: string;
    /** Connection options from `@temporalio/envconfig` (TEMPORAL_ADDRESS, TLS, API key, profile). */
    connect?: ClientConnectConfig;
  };
  api: {
    host: string;
    port: number;
    /** Bearer keys of the HTTP API. */
    keys: string[];
    /** Keys marked `admin:` in `OTPFLOW_API_KEYS` (without the marker): they may also use `/v1/guard`. */
    adminKeys: string[];
    /** Per-key token bucket of each API instance: refill per second (0: off) and size. */
    rateLimit: { perSecond: number; burst: number };
    /**
     * HTTP Basic credentials Infobip's delivery-report pushes must carry
     * (`OTPFLOW_DELIVERY_REPORT_CREDENTIALS`); absent: the ingress refuses every push.
     */
    deliveryReportCredentials?: { username: string; password: string }[];
  };
  /** Key for the keyed hash of destinations (IDs and search attributes). */
  destinationHashKey: Buffer;
  /** AES-256-GCM keys; the first encrypts, all decrypt. Empty: payloads are not encrypted. */
  encryptionKeys: { id: string; key: Buffer }[];
  /** Webhook HMAC secrets by the environment variable name an application's `secretEnv` gives. */
  webhookSecrets: Record<string, string>;
  /** Codec server (lets the Temporal Web UI and CLI decode encrypted payloads). Absent: not served. */
  codecServer?: CodecServerConfig;
  /** Logs, metrics and shutdown of the worker process. */
  worker?: WorkerProcessConfig;
  /** Path of the applications file that was loaded. */
  configFile?: string;
}

/** Where and for whom the codec server answers. */
export interface CodecServerConfig {
  host: string;
  port: number;
  /** Browser origins allowed by CORS (the Web UI's). */
  corsOrigins: string[];
  /** Bearer keys accepted; empty: no authentication (loopback development only). */
  apiKeys: string[];
}

/** Settings of the worker process. */
export interface WorkerProcessConfig {
  /** `host:port` of the Prometheus endpoint (`/metrics`); absent: no metrics endpoint. */
  metricsAddress?: string;
  /** pino level. @default 'info' */
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Milliseconds in-flight activities get to finish on shutdown before they are cancelled. @default 10000 */
  shutdownGraceMs: number;
}
