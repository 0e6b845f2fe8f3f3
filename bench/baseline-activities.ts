/**
 * Activities of the baseline workflow: one call each to the Infobip emulator through the same
 * `InfobipClient` otpflow uses, without otpflow's translation, directory or heartbeats.
 */
import type { InfobipClient } from '../infobip';

/** Activities of `baselineWorkflow`. */
export interface BaselineActivities {
  baselineLookup(to: string): Promise<void>;
  /** Sends the PIN; with `trackDelivery`, its answer's `externalMessageId` too. */
  baselineSend(
    to: string,
    applicationId: string,
    messageId: string,
    options?: { trackDelivery: boolean },
  ): Promise<{ pinId: string; externalMessageId?: string }>;
  baselineVerify(pinId: string, code: string): Promise<boolean>;
}

/** Builds the baseline activities on a client pointed at the emulator. */
export function createBaselineActivities(infobip: InfobipClient): BaselineActivities {
  return {
    async baselineLookup(to) {
      await infobip.lookupNumbers([to]);
    },
    async baselineSend(to, applicationId, messageId, options) {
      const track = options?.trackDelivery ? { trackDelivery: true } : {};
      const res = await infobip.sendSmsPin({ to, applicationId, messageId, ...track });
      if (!res.pinId) throw new Error('the emulator answered without a pinId');
      return {
        pinId: res.pinId,
        ...(res.externalMessageId ? { externalMessageId: res.externalMessageId } : {}),
      };
    },
    async baselineVerify(pinId, code) {
      return (await infobip.verifyPin(pinId, code)).verified;
    },
  };
}
