/**
 * Shape of otpflow's configuration: the applications file (`otpflow.config.json`) plus the
 * secrets and connection settings that come from the environment. `loadConfig` produces it.
 */
import type { Channel, LookupPolicy, PinType } from '../workflows/types';

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
  /** Language used when a start names none. */
  defaultLanguage: string;
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
  };
  /** Signed POST on every terminal state. `secretEnv` names the environment variable holding the HMAC secret. */
  webhook?: { url: string; secretEnv: string };
}

/** Everything a process of otpflow needs, validated. */
export interface OtpflowConfig {
  applications: ApplicationDeclaration[];
  infobip: { baseUrl: string; apiKey: string };
  temporal: { taskQueue: string };
  api: { host: string; port: number; keys: string[] };
  /** Key for the keyed hash of destinations (IDs and search attributes). */
  destinationHashKey: Buffer;
  /** AES-256-GCM keys; the first encrypts, all decrypt. Empty: payloads are not encrypted. */
  encryptionKeys: { id: string; key: Buffer }[];
  /** Webhook HMAC secrets by the environment variable name an application's `secretEnv` gives. */
  webhookSecrets: Record<string, string>;
}
