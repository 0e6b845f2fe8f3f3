/**
 * Typed Infobip 2FA and Number Lookup client on undici, and the parser of the delivery reports
 * Infobip pushes. Knows nothing of Temporal.
 */
export { createInfobipClient, InfobipClient, type SendSmsPinOptions } from './client';
export type { CallOptions, InfobipClientOptions } from './transport';
export { parseErrorBody, parseRetryAfter } from './transport';
export * from './errors';
export * from './types';
export * from './delivery-reports';
export { toInfobipNumber } from './phone';
