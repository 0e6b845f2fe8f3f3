/**
 * The webhook workflow: delivers a verification's outcome to its application's webhook,
 * retried for up to a day (`webhookActivity`). A verification starts it as it closes, with
 * parent-close policy ABANDON, so a slow or failing receiver never keeps a finished
 * verification open. Its result is the delivery's outcome: completed with the receiver's HTTP
 * status, or failed when the receiver rejected the call or stayed unreachable for a day.
 */
import type { WebhookInput, WebhookResult } from '../activities/types';
import { webhookActivity } from './activity-options';

/** Delivers one verification outcome (see the module comment). */
export async function webhookWorkflow(delivery: WebhookInput): Promise<WebhookResult> {
  return webhookActivity()(delivery);
}
