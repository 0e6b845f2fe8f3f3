/**
 * The emulator's phone inbox (GET /emulator) in a real Chromium: a PIN sent by a real
 * verification flow (started with the client library, run by a worker with the real activities
 * on the shared dev server) shows up on
 * an open page without a reload, readable on a phone-sized and a desktop-sized window.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { OtpClient } from '../../client/otp-client';
import { startStack, testNumber } from '../harness/stack';
import { connectTestEnv } from '../harness/temporal';
import { screenshot, setupOnce, useChromium } from './chromium';

const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 800 };

const browser = useChromium();
const flows = setupOnce(
  async () => {
    const env = await connectTestEnv();
    try {
      const stack = await startStack(env);
      // The real client library, as a backend would use it.
      const otp = new OtpClient({
        client: env.client,
        applications: stack.applications,
        destinationHashKey: Buffer.from('browser-test-hash-key-0123456789abcdef'),
        taskQueue: stack.worker.taskQueue,
      });
      return { env, stack, otp };
    } catch (err) {
      await env.teardown();
      throw err;
    }
  },
  async ({ env, stack }) => {
    await stack.close();
    await env.teardown();
  },
);

/** Opens the inbox and waits until its event stream is connected ("live"). */
async function openInbox(emulatorUrl: string, viewport: { width: number; height: number }): Promise<Page> {
  const page = await browser().page(viewport);
  await page.goto(`${emulatorUrl}/emulator`);
  await page
    .getByTestId('status')
    .filter({ hasText: /^live$/ })
    .waitFor();
  // A marker that a reload or navigation would wipe out.
  await page.evaluate("window.__otpflowNoReload = 'still here'");
  return page;
}

/**
 * Layout facts that decide whether a person can read the PIN. Runs in the page; elements are
 * reached from the PIN element (the project compiles without the DOM library).
 */
async function readability(message: Locator) {
  return message.getByTestId('pin').evaluate((pin) => {
    const doc = pin.ownerDocument;
    const win = doc.defaultView;
    const text = pin.parentElement.querySelector('[data-testid="message-text"]');
    pin.scrollIntoView({ block: 'nearest' });
    const box = pin.getBoundingClientRect();
    const atCentre = doc.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    const style = win.getComputedStyle(pin);
    return {
      scrollWidth: doc.documentElement.scrollWidth as number,
      clientWidth: doc.documentElement.clientWidth as number,
      pinFontPx: parseFloat(style.fontSize),
      textFontPx: parseFloat(win.getComputedStyle(text).fontSize),
      pinBox: {
        left: box.left as number,
        top: box.top as number,
        right: box.right as number,
        bottom: box.bottom as number,
      },
      viewport: { width: win.innerWidth as number, height: win.innerHeight as number },
      pinOnTop: atCentre === pin || Boolean(pin.contains(atCentre)),
      pinVisible: style.visibility === 'visible' && Number(style.opacity) > 0.5,
      marker: win.__otpflowNoReload as string | undefined,
    };
  });
}

describe('emulator inbox page', { timeout: 120_000 }, () => {
  it('shows a PIN sent by a verification flow live, readable on a phone and a desktop', async () => {
    const { stack, otp } = flows();
    const phone = await openInbox(stack.emulator.url, PHONE);
    const desktop = await openInbox(stack.emulator.url, DESKTOP);
    const loads = { phone: 0, desktop: 0 };
    phone.on('load', () => loads.phone++);
    desktop.on('load', () => loads.desktop++);
    await screenshot(phone, 'inbox-phone-empty');

    const destination = testNumber();
    const started = await otp.start({ destination });
    expect(started.status).toBe('PENDING');
    const [sent] = stack.emulator.inbox.messages(destination);
    expect(sent, 'the flow sent a PIN through the emulator').toBeDefined();
    const { pin, pinId, to } = sent!;

    for (const [name, page] of [
      ['phone', phone],
      ['desktop', desktop],
    ] as const) {
      const phoneCard = page.locator(`[data-testid="destination"][data-destination="${to}"]`);
      const message = phoneCard.locator(`[data-testid="message"][data-pin-id="${pinId}"]`);
      await message.waitFor({ state: 'visible', timeout: 15_000 });
      await expect.poll(() => message.getByTestId('pin').textContent()).toBe(pin);
      expect(await message.getByTestId('message-text').textContent()).toContain(pin);
      expect(await message.getAttribute('data-channel')).toBe('SMS');
      expect(await page.getByTestId('empty').count(), `${name}: the empty-inbox note is gone`).toBe(0);

      const r = await readability(message);
      expect(r.marker, `${name}: arrived without a reload`).toBe('still here');
      expect(loads[name], `${name}: no page load after opening`).toBe(0);
      expect(r.scrollWidth, `${name}: no horizontal scrolling`).toBeLessThanOrEqual(r.clientWidth);
      expect(r.pinFontPx, `${name}: PIN font size`).toBeGreaterThanOrEqual(14);
      expect(r.textFontPx, `${name}: message text font size`).toBeGreaterThanOrEqual(12);
      expect(r.pinVisible, `${name}: PIN not hidden`).toBe(true);
      expect(r.pinBox.left, `${name}: PIN inside the viewport (left)`).toBeGreaterThanOrEqual(0);
      expect(r.pinBox.top, `${name}: PIN inside the viewport (top)`).toBeGreaterThanOrEqual(0);
      expect(r.pinBox.right, `${name}: PIN inside the viewport (right)`).toBeLessThanOrEqual(
        r.viewport.width,
      );
      expect(r.pinBox.bottom, `${name}: PIN inside the viewport (bottom)`).toBeLessThanOrEqual(
        r.viewport.height,
      );
      expect(r.pinOnTop, `${name}: nothing covers the PIN`).toBe(true);
    }

    await screenshot(phone, 'inbox-phone', { docs: true });
    await screenshot(desktop, 'inbox-desktop', { docs: true });
    await otp.cancel(started.id, 'browser test done');
  });
});
