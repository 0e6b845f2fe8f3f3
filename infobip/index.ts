/** Typed Infobip 2FA and Number Lookup client on undici. Knows nothing of Temporal. */
export { createInfobipClient, InfobipClient, type SendSmsPinOptions } from './client';
export type { CallOptions, InfobipClientOptions } from './transport';
export { parseErrorBody, parseRetryAfter } from './transport';
export * from './errors';
export * from './types';
export { toInfobipNumber } from './phone';
