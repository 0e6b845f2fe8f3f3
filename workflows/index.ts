/**
 * Workflow entry point for the bundler: the verification workflow, the webhook workflow it
 * starts, their messages and I/O types.
 */
export {
  verificationWorkflow,
  attemptsWithin,
  INVALID_INPUT,
  NOT_PENDING,
  CHECK_UNAVAILABLE,
  RESEND_FAILED,
  CLOSING,
  ATTACHED,
} from './verification';
export { webhookWorkflow } from './webhook';
export * from './messages';
export * from './types';
export * from './constants';
