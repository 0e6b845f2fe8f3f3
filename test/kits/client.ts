/**
 * Test kit for code that uses `OtpClient`: application declarations and in-memory stub
 * activities that behave like Infobip for one known code.
 */
import { randomInt } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { OtpActivities, SendPinInput } from '../../activities/types';
import type { ApplicationDeclaration } from '../../config/types';

/** The code the stub activities accept. */
export const STUB_CODE = '123456';
/** A code for which the stub `verifyPin` fails as if Infobip were down. */
export const STUB_UNAVAILABLE_CODE = '999999';

/** An application declaration with SMS and voice templates; `policy` fields override the defaults. */
export function testApplication(
  name: string,
  policy: Partial<ApplicationDeclaration['policy']> = {},
  extra: Partial<Omit<ApplicationDeclaration, 'policy'>> = {},
): ApplicationDeclaration {
  return {
    name,
    enabled: true,
    pin: { type: 'NUMERIC', length: 6 },
    defaultLanguage: 'en',
    templates: {
      sms: { en: { messageText: 'Your code is {{pin}}', senderId: 'otpflow' } },
      voice: { en: { messageText: 'Your code is {{pin}}' } },
    },
    infobip: {
      pinAttempts: 10,
      allowMultiplePinVerifications: true,
      pinTimeToLive: '15m',
      verifyPinLimit: '5/1s',
      sendPinPerApplicationLimit: '10000/1d',
      sendPinPerPhoneNumberLimit: '20/1d',
    },
    policy: {
      lookup: 'OFF',
      ttlSeconds: 300,
      maxAttempts: 3,
      resendCooldownSeconds: 30,
      maxResends: 2,
      fallback: [],
      allowedCountries: [],
      voiceForLandlines: false,
      ...policy,
    },
    ...extra,
  };
}

/** A random valid Swiss mobile number, so tests never share a derived verification ID. */
export function randomPhone(): string {
  return `+4179${String(randomInt(0, 10_000_000)).padStart(7, '0')}`;
}

/** Stub activities and what they were asked to send. */
export interface StubActivities {
  activities: OtpActivities;
  sends: SendPinInput[];
  resends: number;
}

/** Activities that send nothing, answer `STUB_CODE` as the right code and count sends. */
export function stubActivities(): StubActivities {
  const state: StubActivities = { activities: undefined as unknown as OtpActivities, sends: [], resends: 0 };
  state.activities = {
    async lookupNumber() {
      return { outcome: 'REACHABLE', reason: 'DELIVERED_TO_HANDSET' };
    },
    async sendPin(input) {
      state.sends.push(input);
      return { pinId: `PIN-${state.sends.length}`, infobipStatus: 'MESSAGE_SENT', delivered: true };
    },
    async resendPin() {
      state.resends += 1;
      return { pinId: null, infobipStatus: 'MESSAGE_SENT', delivered: true };
    },
    async verifyPin({ code }) {
      if (code === STUB_UNAVAILABLE_CODE)
        throw ApplicationFailure.nonRetryable('Infobip is down (stub)', 'StubOutage');
      return code === STUB_CODE
        ? { verified: true, attemptsRemaining: 0 }
        : { verified: false, attemptsRemaining: 1, pinError: 'WRONG_PIN' };
    },
    async deliverWebhook() {
      return { httpStatus: 200 };
    },
    async countLockouts() {
      return 0;
    },
  };
  return state;
}
