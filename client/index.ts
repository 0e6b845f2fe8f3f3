/**
 * otpflow's client library (`import … from 'otpflow/client'`): what a backend imports to run
 * verifications and to check the outcome webhook. It loads neither the worker, nor fastify,
 * nor workflow code.
 *
 * ```ts
 * const { otp, close } = await connectOtp(loadClientConfig());
 * const { id } = await otp.start({ application: 'login', to: '+41 79 302 67 27' });
 * const { verified } = await otp.check(id, codeFromUser);
 * ```
 */
export { OtpClient, WORKFLOW_TYPE } from './otp-client';
export type {
  OtpClientOptions,
  StartInput,
  StartResult,
  ResendAnswer,
  ListFilter,
  VerificationPage,
  VerificationSummary,
  VerificationView,
} from './otp-client';
export { connectOtp, type ConnectedOtp, type ConnectOptions } from './connect';
export { loadClientConfig, type ClientConfig, type LoadClientConfigOptions } from '../config/load';
export { ConfigError, isConfigError, type ConfigProblem } from '../config/errors';
export {
  verifyWebhook,
  signWebhook,
  WebhookVerificationError,
  SIGNATURE_HEADER,
  DELIVERY_HEADER,
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  type WebhookEvent,
  type WebhookHeaders,
  type WebhookRefusal,
  type VerifyWebhookOptions,
} from './webhook';
export {
  OtpError,
  OtpErrorCodes,
  UnknownVerificationError,
  VerificationFinishedError,
  InvalidInputError,
  RateLimitedError,
  DestinationLockedError,
  CheckUnavailableError,
  TemporalUnreachableError,
  type OtpErrorCode,
  type RateLimitReason,
  type LibraryError,
  isLibraryError,
} from './errors';
export { identifyDestination, hashDestination, verificationId, type DestinationIdentity } from './identity';
export type { CheckResult, VerificationStatus, Channel, TimelineEntry } from '../domain/types';
