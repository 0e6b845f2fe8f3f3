/** Constants shared by the workflow, the worker, the client library and the tools. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Default task queue of otpflow workers. */
export const DEFAULT_TASK_QUEUE = 'otpflow';

/** Prefix of derived verification IDs: `otp-<application>-<hash>`. */
export const VERIFICATION_ID_PREFIX = 'otp-';

/** Memo key of the start request that started a flow (see `StartRequest.requestId`). */
export const START_REQUEST_MEMO = 'startRequestId';

export const OTP_STATUS = defineSearchAttributeKey('OtpStatus', SearchAttributeType.KEYWORD);
export const OTP_APPLICATION = defineSearchAttributeKey('OtpApplication', SearchAttributeType.KEYWORD);
export const OTP_CHANNEL = defineSearchAttributeKey('OtpChannel', SearchAttributeType.KEYWORD);
export const OTP_DESTINATION_HASH = defineSearchAttributeKey(
  'OtpDestinationHash',
  SearchAttributeType.KEYWORD,
);

/**
 * Keyed hashes of the caller-supplied contexts of a start (`ip:<hash>`, `session:<hash>`), set
 * only for applications with a per-client-IP or per-session velocity limit.
 */
export const OTP_CONTEXT = defineSearchAttributeKey('OtpContext', SearchAttributeType.KEYWORD_LIST);

/** Every custom search attribute otpflow needs registered on the namespace. */
export const SEARCH_ATTRIBUTES = [
  OTP_STATUS,
  OTP_APPLICATION,
  OTP_CHANNEL,
  OTP_DESTINATION_HASH,
  OTP_CONTEXT,
] as const;

/**
 * THE verification ID length limit, everywhere: a caller-chosen ID has at most this many
 * characters (the HTTP API and the library refuse a longer one with `field: id`), and the
 * library and every HTTP route answer "no such verification" for a longer one. Derived IDs
 * stay below it: `otp-` + an application name of at most 64 + `-` + 32 hex = 101.
 */
export const MAX_VERIFICATION_ID_LENGTH = 128;

/** Caller-chosen verification IDs: letters, digits and `._:-`, at most `MAX_VERIFICATION_ID_LENGTH`. */
export const CALLER_ID_PATTERN = new RegExp(
  `^[A-Za-z0-9][A-Za-z0-9._:-]{0,${MAX_VERIFICATION_ID_LENGTH - 1}}$`,
);
