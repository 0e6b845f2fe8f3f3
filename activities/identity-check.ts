/**
 * The workers' check of a verification's identity before anything reaches Infobip: the
 * destination hash (and a derived ID) the caller computed must be the destination's under the
 * deployment's hash key. A caller with another `OTPFLOW_DESTINATION_HASH_KEY` gets IDs no other
 * caller shares, which would bypass de-duplication and send a second PIN to a person who has
 * one pending; such a flow is refused (non-retryable `OtpflowIdentityMismatch`), nothing sent.
 */
import { timingSafeEqual } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { hashDestination, verificationId } from '../client/identity';
import { VERIFICATION_ID_PREFIX } from '../domain/constants';
import { FailureTypes } from '../domain/failures';
import { permanent } from './failures';

const sameText = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** What a caller claims about a flow's destination. */
export interface ClaimedIdentity {
  application: string;
  /** The normalised destination. */
  destination: string;
  /** The caller's hash of it; absent in inputs of flows started before the check existed. */
  destinationHash?: string;
}

/**
 * Throws the `OtpflowIdentityMismatch` failure when `claim.destinationHash`, or the running
 * flow's ID when it has the derived form `otp-<application>-<32 hex>`, is not the destination's
 * under `key`. Without a key or a claimed hash there is nothing to check.
 */
export function checkIdentity(
  key: Buffer | undefined,
  claim: ClaimedIdentity,
  workflowId = runningWorkflowId(),
): void {
  if (!key || claim.destinationHash === undefined) return;
  const expected = hashDestination(claim.destination, key);
  const derivedPrefix = `${VERIFICATION_ID_PREFIX}${claim.application}-`;
  const derived =
    workflowId !== undefined &&
    workflowId.startsWith(derivedPrefix) &&
    /^[0-9a-f]{32}$/.test(workflowId.slice(derivedPrefix.length));
  const hashOk = sameText(claim.destinationHash, expected);
  const idOk = !derived || sameText(workflowId, verificationId(claim.application, expected));
  if (hashOk && idOk) return;
  throw permanent(
    FailureTypes.IDENTITY_MISMATCH,
    "the verification's destination hash or ID was made with another destination-hash key than the workers'; nothing was sent",
  );
}

function runningWorkflowId(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.workflowId;
  } catch {
    return undefined;
  }
}
