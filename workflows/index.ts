/**
 * Workflow entry point for the bundler: the workflows a worker registers (the verification and
 * the webhook delivery it starts). Their messages, types and constants live in `domain/`, which
 * callers import without loading workflow code.
 */
export { verificationWorkflow } from './verification';
export { webhookWorkflow } from './webhook';
export { guardWorkflow } from './guard';
