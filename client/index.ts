/**
 * otpflow's client library: what a TypeScript backend imports to run verifications.
 *
 * ```ts
 * const { otp } = await connectOtp(loadConfig(process.env, { require: ['destinationHashKey'] }));
 * const { id } = await otp.start({ application: 'login', destination: '+41793026727' });
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
  VerificationSummary,
  VerificationView,
} from './otp-client';
export { connectOtp, type ConnectedOtp, type ConnectOptions } from './connect';
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
} from './errors';
export { identifyDestination, hashDestination, verificationId, type DestinationIdentity } from './identity';
export type { CheckResult, VerificationStatus, Channel } from '../domain/types';
