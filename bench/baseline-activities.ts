/**
 * Activities of the baseline workflow: one call each to the Infobip emulator through the same
 * `InfobipClient` otpflow uses, without otpflow's translation, directory or heartbeats.
 */
import type { InfobipClient } from '../infobip';

/** Activities of `baselineWorkflow`. */
export interface BaselineActivities {
  baselineLookup(to: string): Promise<void>;
  baselineSend(to: string, applicationId: string, messageId: string): Promise<string>;
  baselineVerify(pinId: string, code: string): Promise<boolean>;
}

/** Builds the baseline activities on a client pointed at the emulator. */
export function createBaselineActivities(infobip: InfobipClient): BaselineActivities {
  return {
    async baselineLookup(to) {
      await infobip.lookupNumbers([to]);
    },
    async baselineSend(to, applicationId, messageId) {
      const res = await infobip.sendSmsPin({ to, applicationId, messageId });
      if (!res.pinId) throw new Error('the emulator answered without a pinId');
      return res.pinId;
    },
    async baselineVerify(pinId, code) {
      return (await infobip.verifyPin(pinId, code)).verified;
    },
  };
}
