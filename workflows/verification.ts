/**
 * The verification workflow: LOOKUP → SENDING → PENDING → a terminal state.
 *
 * Infobip generates and checks the PIN; this workflow never sees it. Expiry, attempts,
 * cooldowns and the fallback plan run on the workflow's own clock, so a late code is
 * answered EXPIRED without a call to Infobip. The state lives in `FlowState`, the phases in
 * `FlowPhases`, the message handlers in `VerificationFlow`; this function is the order of the
 * phases.
 */
import { allHandlersFinished, ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import {
  cancelSignal,
  deliveryReportSignal,
  resendUpdate,
  startUpdate,
  statusQuery,
  submitCodeSignal,
  verifyUpdate,
} from '../domain/messages';
import { InvalidInputError } from '../domain/errors';
import { INVALID_INPUT, isUnencryptedMark } from '../domain/failures';
import { validateInput } from '../domain/input';
import type { StartRequest, VerificationInput, VerificationResult } from '../domain/types';
import { unencrypted, VerificationFlow } from './verification-flow';
import { conditionWithin } from './wait';

/** Runs one OTP verification. See the module comment. */
export async function verificationWorkflow(input: VerificationInput): Promise<VerificationResult> {
  if (isUnencryptedMark(input)) return refuseUnencrypted();
  const flow = new VerificationFlow(input, destinationKind(input));
  listen(flow);
  flow.publish();
  if (flow.wantsLookup()) await flow.lookup();
  if (!flow.isTerminal()) await flow.sendFirst();
  // PENDING: wait for a code, the expiry, a cancel, the next fallback step or a delivery report.
  while (flow.status === 'PENDING') {
    // A message reported undeliverable: the next fallback step now (never true without reports).
    if (flow.undelivered()) {
      await flow.afterUndelivered();
      continue;
    }
    const wait = flow.nextWait();
    await conditionWithin(() => flow.changedSince(wait), wait.ms);
    if (!flow.changedSince(wait)) await flow.timeUp(wait);
  }
  // Every handler must be done before the result is final (a check waiting on the lock
  // answers with the terminal status). Usually they are: then no wait, and no promises.
  if (!allHandlersFinished()) await condition(allHandlersFinished);
  if (input.webhook) await flow.notify(input.webhook);
  if (flow.status === 'LOCKED') await flow.holdLockout();
  return flow.result();
}

/**
 * A start whose input was not encrypted while the workers encrypt: the flow fails at once and
 * sends nothing; its start call is refused with the same failure. The history keeps what the
 * caller sent (in clear) until the namespace's retention removes it.
 */
async function refuseUnencrypted(): Promise<never> {
  const refuse = (_req: StartRequest): never => {
    throw unencrypted();
  };
  setHandler(startUpdate, refuse, { validator: refuse });
  throw unencrypted();
}

/**
 * The destination's kind. The client checked the input fully before the start; see
 * `domain/input.ts` for why the workflow re-checks its form only (and the country, where the
 * application restricts it).
 */
function destinationKind(input: VerificationInput): 'phone' | 'email' {
  try {
    return validateInput(input, 'shape').kind;
  } catch (err) {
    if (err instanceof InvalidInputError)
      throw ApplicationFailure.nonRetryable(err.message, INVALID_INPUT, err.field, err.reason);
    throw err;
  }
}

/** Registers the flow's message handlers. */
function listen(flow: VerificationFlow): void {
  setHandler(startUpdate, (req) => flow.answerStart(req), { validator: (req) => flow.validateStart(req) });
  setHandler(statusQuery, () => flow.state());
  setHandler(verifyUpdate, (code) => flow.check(code), { validator: (code) => flow.validateCheck(code) });
  setHandler(submitCodeSignal, (code) => flow.submitCode(code));
  setHandler(resendUpdate, () => flow.resend(), { validator: () => flow.rejectUnlessPending() });
  setHandler(cancelSignal, (why) => flow.cancel(why));
  setHandler(deliveryReportSignal, (report) => flow.deliveryReport(report));
}
