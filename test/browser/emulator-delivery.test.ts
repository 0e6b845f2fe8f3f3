/**
 * The inbox page (GET /emulator) in a real Chromium shows each tracked message's delivery
 * status live: PENDING first, then the outcome its test number chose, without a reload; an
 * undeliverable message is marked as failed, an untracked one has no status.
 */
import { describe, expect, it } from 'vitest';
import { createEmulator, deliveryTestNumber } from '../../emulator';
import { createAppWithTemplate, emulatorClient, startReportReceiver } from '../kits/emulator';
import { screenshot, setupOnce, useChromium } from './chromium';

const browser = useChromium();
const fixture = setupOnce(
  async () => {
    const receiver = await startReportReceiver();
    // A long report delay keeps the PENDING state on screen long enough to see it.
    const emulator = await createEmulator({
      managementLimits: false,
      reports: { subscription: { url: `${receiver.url}/reports` }, delayMs: 1500 },
    });
    const api = emulatorClient(emulator.url);
    const ids = await createAppWithTemplate(api);
    return { receiver, emulator, api, ids };
  },
  async ({ receiver, emulator }) => {
    await emulator.close();
    await receiver.close();
  },
);

describe('emulator inbox delivery status', { timeout: 120_000 }, () => {
  it('shows PENDING, then the outcome, live; marks an undeliverable message; leaves untracked ones alone', async () => {
    const { emulator, api, ids } = fixture();
    const page = await browser().page({ width: 1280, height: 800 });
    await page.goto(`${emulator.url}/emulator`);
    await page
      .getByTestId('status')
      .filter({ hasText: /^live$/ })
      .waitFor();
    await page.evaluate("window.__otpflowNoReload = 'still here'");

    const good = deliveryTestNumber('DELIVERED');
    const bad = deliveryTestNumber('UNDELIVERABLE_PERMANENT');
    await api.post('/2fa/2/pin', { ...ids, to: good, trackDelivery: true });
    await api.post('/2fa/2/pin', { ...ids, to: bad, trackDelivery: true });
    await api.post('/2fa/2/pin/voice', { ...ids, to: good });

    const badge = (to: string, channel: string) =>
      page
        .locator(`[data-testid="destination"][data-destination="${to}"]`)
        .locator(`[data-testid="message"][data-channel="${channel}"]`);
    const pendingSeen = await badge(good, 'SMS').getByTestId('delivery').getAttribute('data-status');
    expect(['PENDING', 'DELIVERED']).toContain(pendingSeen);
    await expect
      .poll(() => badge(good, 'SMS').getByTestId('delivery').getAttribute('data-status'), { timeout: 15_000 })
      .toBe('DELIVERED');
    await expect
      .poll(() => badge(bad, 'SMS').getByTestId('delivery').getAttribute('data-status'), { timeout: 15_000 })
      .toBe('UNDELIVERABLE');
    expect(await badge(bad, 'SMS').getAttribute('class')).toContain('failed');
    expect(await badge(good, 'SMS').getAttribute('class')).not.toContain('failed');
    expect(await badge(bad, 'SMS').getByTestId('delivery').getAttribute('title')).toContain(
      'EC_ILLEGAL_SUBSCRIBER',
    );
    expect(await badge(good, 'VOICE').getByTestId('delivery').count()).toBe(0);
    expect(await page.evaluate('window.__otpflowNoReload')).toBe('still here');
    await screenshot(page, 'inbox-delivery');
  });
});
