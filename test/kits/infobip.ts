/**
 * Test kit for the suites of the Infobip client and the activities (`test/infobip*`,
 * `test/activities*`): a sample declaration, an emulator with a client pointed at it, fresh
 * phone numbers, and a one-activity probe workflow to run activities under a real worker with
 * a chosen retry policy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { ApplicationDeclaration } from '../../config/types';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../emulator';
import { createInfobipClient, type InfobipClient } from '../../infobip/client';
import type { InfobipClientOptions } from '../../infobip/transport';

/** The API key tests give the emulator and the client. */
export const TEST_API_KEY = 'otpflow-test-key';

/** A complete declaration with SMS (en, de), voice (en) and e-mail (en) templates. */
export function sampleDeclaration(
  name: string,
  overrides: Partial<ApplicationDeclaration> = {},
): ApplicationDeclaration {
  return {
    name,
    enabled: true,
    pin: { type: 'NUMERIC', length: 6 },
    defaultLanguage: 'en',
    templates: {
      sms: {
        en: { messageText: 'Your {{name}} code is {{pin}}', senderId: 'otpflow' },
        de: { messageText: 'Ihr {{name}} Code lautet {{pin}}', senderId: 'otpflow' },
      },
      voice: {
        en: { messageText: 'Your code is {{pin}}', voiceName: 'Joanna', speechRate: 1, repeatDTMF: '1#' },
      },
      email: { en: { emailTemplateId: 1234, from: 'codes@otpflow.test' } },
    },
    infobip: {
      pinAttempts: 5,
      allowMultiplePinVerifications: false,
      pinTimeToLive: '10m',
      verifyPinLimit: '100/1s',
      sendPinPerApplicationLimit: '10000/1d',
      sendPinPerPhoneNumberLimit: '10/1h',
    },
    policy: {
      lookup: 'OFF',
      ttlSeconds: 60,
      maxAttempts: 3,
      resendCooldownSeconds: 0,
      maxResends: 3,
      fallback: [],
      allowedCountries: [],
      voiceForLandlines: false,
    },
    ...overrides,
  };
}

/** A Swiss mobile number no other test uses, that Number Lookup reports reachable. */
export function freshNumber(): string {
  // The emulator reads the last four digits for lookup outcomes; 1000–9999 are all "reachable".
  return `+4179${randomInt(100, 999)}${randomInt(1000, 9999)}`;
}

/** An emulator and a client pointed at it. */
export interface InfobipFixture {
  emulator: Emulator;
  client: InfobipClient;
  close(): Promise<void>;
}

/** Starts an emulator on port 0 (management throttles off unless asked) and a client for it. */
export async function startInfobip(
  options: EmulatorOptions = {},
  clientOptions: Partial<InfobipClientOptions> = {},
): Promise<InfobipFixture> {
  const emulator = await createEmulator({ apiKeys: [TEST_API_KEY], managementLimits: false, ...options });
  const client = createInfobipClient({ baseUrl: emulator.url, apiKey: TEST_API_KEY, ...clientOptions });
  return {
    emulator,
    client,
    async close() {
      await client.close();
      await emulator.close();
    },
  };
}

/**
 * Name of the probe workflow: `probeActivity(name, args, activityOptions, cancelAfterMs?)` runs
 * one activity and returns its result; with `cancelAfterMs` it cancels the activity after that
 * long, waits for it to acknowledge, and returns `{ cancelled: true }`.
 */
export const PROBE_WORKFLOW = 'probeActivity';

const PROBE_SOURCE = `
const { proxyActivities, CancellationScope, isCancellation, sleep } = require('@temporalio/workflow');
exports.${PROBE_WORKFLOW} = async function (name, args, options, cancelAfterMs) {
  const act = proxyActivities({ cancellationType: 'WAIT_CANCELLATION_COMPLETED', ...options })[name];
  if (cancelAfterMs === undefined) return act(...args);
  const scope = new CancellationScope();
  const running = scope.run(() => act(...args));
  await sleep(cancelAfterMs);
  scope.cancel();
  try {
    return await running;
  } catch (err) {
    if (isCancellation(err)) return { cancelled: true };
    throw err;
  }
};
`;

/** Bundles the probe workflow (seconds: do it once per file) and returns the bundle code. */
export async function bundleProbeWorkflow(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'otpflow-probe-'));
  try {
    const file = path.join(dir, 'probe-workflow.js');
    writeFileSync(file, PROBE_SOURCE);
    const nodeModules = path.resolve(__dirname, '..', '..', 'node_modules');
    const { code } = await bundleWorkflowCode({
      workflowsPath: file,
      logger: {
        trace() {},
        debug() {},
        info() {},
        warn() {},
        error: (m: string) => console.error(m),
        log() {},
      },
      webpackConfigHook: (config) => {
        config.resolve = { ...config.resolve, modules: [...(config.resolve?.modules ?? []), nodeModules] };
        return config;
      },
    });
    return code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
