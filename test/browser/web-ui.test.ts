/**
 * The Temporal Web UI of the embedded stack (`otpflow dev`, encryption on, codec endpoint
 * wired into the UI) in a real Chromium, the way an operator uses it: list verifications with
 * `OtpStatus="PENDING"`, open one, read its summary, details, current details and decoded
 * input; after the person types the PIN from the inbox, the same page says VERIFIED.
 */
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { testNumber } from '../harness/stack';
import { screenshot, setupOnce, useChromium } from './chromium';
import { startDevStack } from './dev-stack';

const NAMESPACE = 'default';
const APPLICATION = 'login';
/** How the encryption codec marks a payload; shown only when the UI could not decode it. */
const ENCRYPTED_ENCODING_B64 = Buffer.from('binary/encrypted').toString('base64');

const browser = useChromium();
const dev = setupOnce(
  () => startDevStack(),
  (d) => d.stop(),
);

/** The flow the tests share: started in the first test, checked in the second. */
const flow: { id?: string; destination?: string; masked?: string; expiresAt?: string; cancelledId?: string } =
  {};

/**
 * The user-metadata panes (Summary, Details, Current Details) render markdown in an iframe
 * that follows the pane's heading; answers the text of the first one after `heading`.
 */
function paneAfterHeading(page: Page, heading: string): FrameLocator {
  return page.locator(`xpath=(//h3[normalize-space()="${heading}"]/following::iframe)[1]`).contentFrame();
}

async function paneText(page: Page, heading: string): Promise<string> {
  return (await paneAfterHeading(page, heading).locator('body').innerText({ timeout: 5_000 })).trim();
}

/** The Input code block on a workflow's History tab (decoded through the codec endpoint). */
function inputBlock(page: Page): Locator {
  return page.getByTestId('input-and-result').getByRole('textbox').first();
}

async function openUserMetadata(page: Page): Promise<void> {
  await page.getByTestId('user-metadata-tab').click();
  await page.getByTestId('user-metadata-summary-heading').first().waitFor();
}

/** Polls `read` until `check` holds (the UI fills panes asynchronously); answers the last value. */
async function settle<T>(read: () => Promise<T>, check: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await read();
      if (check(last)) return last;
    } catch {
      // not rendered yet
    }
    if (Date.now() > deadline) return last as T;
    await new Promise((r) => setTimeout(r, 250));
  }
}

// A real browser against a real stack: generous on a loaded 2-core machine.
describe('Temporal Web UI of the embedded stack', { timeout: 180_000 }, () => {
  it('lists pending verifications by OtpStatus and shows summary, details and the decoded input', async () => {
    const d = dev();
    const destination = testNumber();
    const started = await d.call('POST', '/v1/verifications', { application: APPLICATION, to: destination });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body).toMatchObject({ status: 'PENDING', channel: 'SMS' });
    const id = String(started.body.id);
    const masked = String(started.body.destination);
    expect(masked).toMatch(/•/);
    Object.assign(flow, { id, destination, masked, expiresAt: String(started.body.expiresAt) });

    // A second verification, cancelled: the PENDING query must not list it.
    const other = await d.call('POST', '/v1/verifications', { application: APPLICATION, to: testNumber() });
    expect(other.status).toBe(201);
    flow.cancelledId = String(other.body.id);
    const cancelled = await d.call('POST', `/v1/verifications/${flow.cancelledId}/cancel`);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED' });

    const page = await browser().page({ width: 1280, height: 900 });

    // The list, filtered the way an operator types it.
    await page.goto(`${d.webUi}/namespaces/${NAMESPACE}/workflows`);
    await page.getByTestId('toggle-manual-query').click();
    const query = page.getByTestId('manual-search-input');
    await query.fill('OtpStatus="PENDING"');
    const rows = page.getByTestId('workflows-summary-configurable-table-row');
    const row = rows.filter({ hasText: id });
    await settle(
      async () => {
        await page.getByTestId('manual-search-button').click();
        await row.first().waitFor({ timeout: 2_000 });
        return true;
      },
      (v) => v,
    );
    await expect.poll(() => row.count(), { message: 'the pending verification is listed' }).toBe(1);
    expect(await rows.filter({ hasText: flow.cancelledId }).count(), 'the cancelled one is not').toBe(0);
    expect(new URL(page.url()).searchParams.get('query')).toBe('OtpStatus="PENDING"');
    await screenshot(page, 'web-ui-list-pending', { docs: true });

    // Open it.
    await row.getByRole('link', { name: id }).click();
    await page.getByTestId('workflow-id-heading').filter({ hasText: id }).waitFor();

    // The input, decoded by the codec endpoint: readable JSON, not ciphertext.
    const input = await settle(
      () => inputBlock(page).innerText({ timeout: 2_000 }),
      (t) => t.includes('destinationMasked'),
    );
    expect(input, 'decoded input names the application').toContain(`"application": "${APPLICATION}"`);
    expect(input, 'decoded input carries the masked destination').toContain(
      `"destinationMasked": "${masked}"`,
    );
    expect(input, 'no encrypted payload left in the input').not.toContain(ENCRYPTED_ENCODING_B64);
    await screenshot(page, 'web-ui-input', { docs: true });

    // Summary, details and current details (user metadata; encrypted too, so also decoded).
    await openUserMetadata(page);
    const summary = await settle(
      () => paneText(page, 'Summary'),
      (t) => t.includes(masked),
    );
    expect(summary, 'summary: application · masked destination · channel').toBe(
      `${APPLICATION} · ${masked} · SMS`,
    );
    const details = await settle(
      () => paneText(page, 'Details'),
      (t) => t.includes(masked),
    );
    expect(details).toContain(`${APPLICATION} verification of ${masked} by SMS`);
    expect(details).toMatch(/ttl \d+s · \d+ attempts/);
    const current = await settle(
      () => paneText(page, 'Current Details'),
      (t) => t.includes('PENDING'),
    );
    expect(current, 'current details: state').toContain('PENDING');
    expect(current, 'current details: attempts left').toMatch(/attempts left: [1-9]\d*/);
    expect(current, 'current details: expiry').toContain(`expires: ${flow.expiresAt}`);
    for (const text of [summary, details, current]) expect(text).not.toContain(destination);
    await screenshot(page, 'web-ui-pending', { docs: true });
    await page.close();
  });

  it('shows the verification VERIFIED after the PIN from the inbox is checked', async () => {
    const d = dev();
    expect(flow.id, 'the first test started a verification').toBeDefined();
    const { id, destination, masked } = flow as Required<typeof flow>;

    // Read the PIN the way a developer does: from the inbox page.
    const inbox = await browser().page({ width: 375, height: 740 });
    await inbox.goto(d.inbox);
    const pinEl = inbox
      .locator(`[data-testid="destination"][data-destination="${destination.replace(/^\+/, '')}"]`)
      .getByTestId('pin')
      .last(); // the newest message holds the PIN that counts
    const pin = (await pinEl.textContent({ timeout: 15_000 }))?.trim() ?? '';
    expect(pin).toMatch(/^\d{6}$/);
    await inbox.close();

    const checked = await d.call('POST', `/v1/verifications/${id}/check`, { code: pin });
    expect(checked.body).toMatchObject({ status: 'VERIFIED', verified: true });

    const page = await browser().page({ width: 1280, height: 900 });
    await page.goto(`${d.webUi}/namespaces/${NAMESPACE}/workflows/${encodeURIComponent(id)}`);
    await page.getByTestId('workflow-id-heading').filter({ hasText: id }).waitFor();
    await openUserMetadata(page);
    const current = await settle(
      async () => {
        const t = await paneText(page, 'Current Details');
        if (!t.includes('VERIFIED')) {
          await page.reload();
          await openUserMetadata(page);
        }
        return t;
      },
      (t) => t.includes('VERIFIED'),
    );
    expect(current, 'current details after a correct check').toContain('VERIFIED');
    expect(await paneText(page, 'Summary')).toBe(`${APPLICATION} · ${masked} · SMS`);
    await screenshot(page, 'web-ui-verified', { docs: true });

    // And the list agrees: it is no longer PENDING but VERIFIED.
    await page.goto(
      `${d.webUi}/namespaces/${NAMESPACE}/workflows?query=${encodeURIComponent('OtpStatus="VERIFIED"')}`,
    );
    await page.getByTestId('workflows-summary-configurable-table-row').filter({ hasText: id }).waitFor();
    await page.close();
  });
});
