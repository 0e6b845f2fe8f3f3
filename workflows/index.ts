/** Workflow entry point for the bundler: the verification workflow, its messages and I/O types. */
export {
  verificationWorkflow,
  attemptsWithin,
  INVALID_INPUT,
  NOT_PENDING,
  CHECK_UNAVAILABLE,
  RESEND_FAILED,
} from './verification';
export * from './messages';
export * from './types';
export * from './constants';
