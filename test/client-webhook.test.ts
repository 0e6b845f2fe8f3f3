/** `verifyWebhook`: what a receiver accepts and why it refuses the rest. */
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook, WebhookVerificationError, type WebhookRefusal } from '../client/webhook';

const SECRET = 'whsec-test-0123456789';
const NOW = 1_800_000_000;
const body = JSON.stringify({ verificationId: 'otp-login-1', status: 'VERIFIED', verified: true });
const at = (seconds: number) => ({ now: () => seconds * 1000 });

function refusal(run: () => unknown): WebhookRefusal {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookVerificationError);
    expect((err as WebhookVerificationError).code).toBe('OTP_WEBHOOK_INVALID');
    return (err as WebhookVerificationError).reason;
  }
  throw new Error('accepted');
}

describe('verifyWebhook', () => {
  const headers = { 'X-Otpflow-Signature': signWebhook(SECRET, NOW, body) };

  it('accepts a fresh signature over the raw body, from plain, Node and fetch headers', () => {
    expect(verifyWebhook(body, headers, SECRET, at(NOW))).toMatchObject({ status: 'VERIFIED' });
    expect(
      verifyWebhook(
        Buffer.from(body),
        { 'x-otpflow-signature': [headers['X-Otpflow-Signature']] },
        SECRET,
        at(NOW + 299),
      ).verified,
    ).toBe(true);
    expect(verifyWebhook(body, new Headers(headers), SECRET, at(NOW - 299)).verificationId).toBe(
      'otp-login-1',
    );
  });

  it('refuses a changed body, another secret, a missing or malformed header', () => {
    expect(refusal(() => verifyWebhook(body.replace('VERIFIED', 'EXPIRED'), headers, SECRET, at(NOW)))).toBe(
      'SIGNATURE_MISMATCH',
    );
    expect(refusal(() => verifyWebhook(body, headers, 'other-secret', at(NOW)))).toBe('SIGNATURE_MISMATCH');
    expect(refusal(() => verifyWebhook(body, {}, SECRET, at(NOW)))).toBe('MISSING_SIGNATURE');
    for (const bad of ['v1=abc', `t=${NOW}`, `t=x,v1=${'a'.repeat(64)}`, 'garbage']) {
      expect(refusal(() => verifyWebhook(body, { 'x-otpflow-signature': bad }, SECRET, at(NOW)))).toBe(
        'MALFORMED_SIGNATURE',
      );
    }
  });

  it('refuses replays outside the tolerance, both ways, and honours a custom tolerance', () => {
    expect(refusal(() => verifyWebhook(body, headers, SECRET, at(NOW + 301)))).toBe(
      'TIMESTAMP_OUT_OF_TOLERANCE',
    );
    expect(refusal(() => verifyWebhook(body, headers, SECRET, at(NOW - 301)))).toBe(
      'TIMESTAMP_OUT_OF_TOLERANCE',
    );
    expect(
      refusal(() => verifyWebhook(body, headers, SECRET, { ...at(NOW + 31), toleranceSeconds: 30 })),
    ).toBe('TIMESTAMP_OUT_OF_TOLERANCE');
  });

  it('accepts any one of several v1 signatures (secret rotation)', () => {
    const both = `${signWebhook('old-secret-000000', NOW, body)},v1=${signWebhook(SECRET, NOW, body).split('v1=')[1]}`;
    expect(verifyWebhook(body, { 'x-otpflow-signature': both }, SECRET, at(NOW)).verified).toBe(true);
  });

  it('refuses a signed body that is not JSON', () => {
    const text = 'not json';
    const h = { 'x-otpflow-signature': signWebhook(SECRET, NOW, text) };
    expect(refusal(() => verifyWebhook(text, h, SECRET, at(NOW)))).toBe('INVALID_BODY');
  });
});
