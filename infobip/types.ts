/**
 * Request and response types of the Infobip operations otpflow uses, written by hand from
 * Infobip's OpenAPI documents (2FA and Number Lookup, v3.210.0; the trimmed copy the tests use
 * is in `emulator/openapi/`); `test/infobip-schema.test.ts`
 * checks them against the published schemas. Phone numbers in *arguments* are E.164
 * (`+41793026727`); fields of *responses* are as Infobip sends them (digits, `41793026727`).
 */

/** PIN alphabet of a template. */
export type InfobipPinType = 'NUMERIC' | 'ALPHA' | 'HEX' | 'ALPHANUMERIC';

/** TTS languages a template may name (the OpenAPI `Language` enum). */
export const INFOBIP_LANGUAGES = [
  'en',
  'es',
  'ca',
  'da',
  'nl',
  'fr',
  'de',
  'it',
  'ja',
  'ko',
  'no',
  'pl',
  'ru',
  'sv',
  'fi',
  'hr',
  'sl',
  'ro',
  'pt_pt',
  'pt_br',
  'zh_cn',
  'zh_tw',
] as const;
export type InfobipLanguage = (typeof INFOBIP_LANGUAGES)[number];

/** `ApplicationConfiguration`; durations like `15m`, rates like `3/1d`. */
export interface ApplicationConfiguration {
  pinAttempts?: number;
  allowMultiplePinVerifications?: boolean;
  pinTimeToLive?: string;
  verifyPinLimit?: string;
  sendPinPerApplicationLimit?: string;
  sendPinPerPhoneNumberLimit?: string;
}

/** `ApplicationRequest` (create and update; PUT replaces the whole configuration). */
export interface ApplicationRequest {
  name: string;
  enabled?: boolean;
  configuration?: ApplicationConfiguration;
}

/** `ApplicationResponse`. */
export interface Application {
  applicationId: string;
  name: string;
  enabled?: boolean;
  configuration?: ApplicationConfiguration;
}

/** `RegionalOptions` of an SMS template. */
export interface RegionalOptions {
  indiaDlt?: { principalEntityId: string; contentTemplateId?: string; teleMarketerId?: string };
}

/** `CreateSmsOrVoiceMessageRequest` / `UpdateSmsOrVoiceMessageRequest`. */
export interface MessageTemplateRequest {
  /** Must contain `{{pin}}`; other `{{name}}` placeholders come from the send's `placeholders`. */
  messageText: string;
  pinType: InfobipPinType;
  pinLength?: number;
  senderId?: string;
  language?: InfobipLanguage;
  voiceName?: string;
  repeatDTMF?: string;
  speechRate?: number;
  regional?: RegionalOptions;
}

/** `Message` / `SmsOrVoiceMessage`: a template as Infobip returns it. */
export interface MessageTemplate extends Partial<MessageTemplateRequest> {
  messageId: string;
  applicationId?: string;
  pinPlaceholder?: string;
  /** Present on e-mail templates listed together with SMS/voice ones. */
  emailTemplateId?: number;
  from?: string;
  landingPageId?: string;
}

/** `CreateEmailMessageRequest` / `UpdateEmailMessageRequest`. */
export interface EmailTemplateRequest {
  emailTemplateId: number;
  from?: string;
  landingPageId?: string;
  pinType?: InfobipPinType;
  pinLength?: number;
}

/** `EmailMessage`. */
export interface EmailTemplate extends Partial<EmailTemplateRequest> {
  messageId: string;
  applicationId?: string;
}

/** Arguments of a PIN send over SMS or voice (`StartAuthenticationRequest`, `to` in E.164). */
export interface SendPinRequest {
  applicationId: string;
  messageId: string;
  /** E.164 (`+41793026727`); sent as digits. */
  to: string;
  from?: string;
  placeholders?: Record<string, string>;
  /**
   * Ask for delivery reports (pushed to the account's Subscriptions webhook, see
   * `parseDeliveryReports`); the answer then carries `externalMessageId`. @default false
   */
  trackDelivery?: boolean;
}

/** Arguments of a PIN send over e-mail (`StartEmailAuthenticationRequest`: no `trackDelivery`). */
export interface SendEmailPinRequest {
  applicationId: string;
  messageId: string;
  /** E-mail address. */
  to: string;
  from?: string;
  placeholders?: Record<string, string>;
  landingPagePlaceholders?: Record<string, string>;
}

/** Number Lookup status of an SMS send done with `ncNeeded`. */
export type NcStatus =
  | 'NC_DESTINATION_UNKNOWN'
  | 'NC_DESTINATION_REACHABLE'
  | 'NC_DESTINATION_NOT_REACHABLE'
  | 'NC_NOT_CONFIGURED';

/** `StartAuthenticationResponse` (SMS and voice sends and resends). */
export interface SendPinResponse {
  pinId: string;
  to?: string;
  ncStatus?: NcStatus | string;
  /** `MESSAGE_SENT` or `MESSAGE_NOT_SENT` (SMS). */
  smsStatus?: 'MESSAGE_SENT' | 'MESSAGE_NOT_SENT' | string;
  /** `PENDING_ACCEPTED` (voice). */
  callStatus?: string;
  /** With `trackDelivery`: the `messageId` the delivery reports of this message will carry. */
  externalMessageId?: string;
}

/** `StartEmailAuthenticationResponse`. */
export interface SendEmailPinResponse {
  pinId: string;
  to?: string;
  emailStatus?: { name?: string; description?: string };
}

/** `ResendPinRequest` (SMS and voice resends). */
export interface ResendPinRequest {
  placeholders?: Record<string, string>;
  /** Delivery reports for the resent message; its answer then carries a new `externalMessageId`. @default false */
  trackDelivery?: boolean;
}

/** `ResendPinRequestViaEmail` (no `trackDelivery`: e-mail sends get no delivery reports). */
export interface ResendEmailPinRequest {
  placeholders?: Record<string, string>;
  landingPagePlaceholders?: Record<string, string>;
}

/** `VerifyPinResponse`. A wrong PIN is a 200 with `verified: false` and a `pinError`. */
export interface VerifyPinResponse {
  pinId?: string;
  msisdn?: string;
  verified: boolean;
  attemptsRemaining: number;
  pinError?: 'WRONG_PIN' | 'TTL_EXPIRED' | 'NO_MORE_PIN_ATTEMPTS' | string;
}

/** Filters of the verification-status call. */
export interface VerificationStatusQuery {
  /** E.164 number (sent as digits) or, for e-mail PINs, the address. */
  msisdn: string;
  verified?: boolean;
  sent?: boolean;
}

/** One PIN sent to a destination (`Verification`); times in Unix milliseconds. */
export interface Verification {
  msisdn?: string;
  verified?: boolean;
  verifiedAt?: number;
  sentAt?: number;
}

/** `VerificationResponse`. */
export interface VerificationStatusResponse {
  verifications: Verification[];
}

/** `Network` of a Number Lookup result. */
export interface LookupNetwork {
  networkName?: string;
  networkPrefix?: string;
  countryName?: string;
  countryPrefix?: string;
  networkId?: number;
}

/** `NcStatus` / `MessageGeneralStatus` of a Number Lookup result. */
export interface LookupStatus {
  groupId?: number;
  groupName?: string;
  id?: number;
  name?: string;
  description?: string;
  action?: string;
}

/** `NcError` of a Number Lookup result. */
export interface LookupError {
  groupId?: number;
  groupName?: string;
  id?: number;
  name?: string;
  description?: string;
  permanent?: boolean;
}

/** One number of a Number Lookup answer (`NcResponseDetails`); fields depend on the package. */
export interface NumberLookupResult {
  to?: string;
  mccMnc?: string;
  imsi?: string;
  originalNetwork?: LookupNetwork;
  ported?: boolean;
  portedNetwork?: LookupNetwork;
  roaming?: boolean;
  roamingNetwork?: LookupNetwork;
  servingMSC?: string;
  status?: LookupStatus;
  error?: LookupError;
}

/** `NcResponse` of `POST /number/1/query`. */
export interface NumberLookupResponse {
  bulkId?: string;
  results: NumberLookupResult[];
}
