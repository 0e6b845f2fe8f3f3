/**
 * A real otpflow stack for tests: the Infobip emulator on loopback, applications set up in it
 * with the real client, and a worker on the shared dev server running the real activities.
 */
import { createHmac, randomInt, randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { ensureApplication } from '../../setup/applications';
import type { ApplicationDeclaration } from '../../config/types';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../emulator';
import { createInfobipClient, type InfobipClient } from '../../infobip';
import { maskDestination } from '../../domain/destination';
import type { Channel, VerificationInput, VerificationPolicy } from '../../domain/types';
import { startWorker, type RunningWorker } from './temporal';

const API_KEY = 'stack-test-key';

/** Policy for tests: short timers, small numbers. */
export function testPolicy(over: Partial<VerificationPolicy> = {}): VerificationPolicy {
  return {
    lookup: 'ADVISORY',
    ttlSeconds: 30,
    maxAttempts: 3,
    resendCooldownSeconds: 1,
    maxResends: 2,
    fallback: [],
    allowedCountries: [],
    pin: { type: 'NUMERIC', length: 6 },
    voiceForLandlines: true,
    retryBudgetSeconds: 20,
    ...over,
  };
}

/** An application declaration with SMS, voice and e-mail templates. */
export function testApplication(
  name = `app-${randomUUID().slice(0, 8)}`,
  over: Partial<ApplicationDeclaration> = {},
): ApplicationDeclaration {
  const policy = testPolicy();
  return {
    name,
    enabled: true,
    pin: policy.pin,
    defaultLanguage: 'en',
    templates: {
      sms: { en: { messageText: 'Your code is {{pin}}.', senderId: 'otpflow' } },
      voice: { en: { messageText: 'Your code is {{pin}}.' } },
      email: { en: { emailTemplateId: 1, from: 'otp@example.com' } },
    },
    infobip: {
      pinAttempts: 10,
      allowMultiplePinVerifications: false,
      pinTimeToLive: '15m',
      verifyPinLimit: '100/1s',
      sendPinPerApplicationLimit: '10000/1d',
      sendPinPerPhoneNumberLimit: '50/1d',
    },
    policy: {
      lookup: policy.lookup,
      ttlSeconds: policy.ttlSeconds,
      maxAttempts: policy.maxAttempts,
      resendCooldownSeconds: policy.resendCooldownSeconds,
      maxResends: policy.maxResends,
      fallback: policy.fallback,
      allowedCountries: policy.allowedCountries,
      voiceForLandlines: policy.voiceForLandlines,
    },
    ...over,
  };
}

/**
 * A fresh Swiss mobile number whose last four digits pick the emulator's lookup outcome
 * (`'0003'` unknown subscriber, `'0006'` no SMS, …); without a suffix it is reachable.
 */
export function testNumber(suffix?: string): string {
  const middle = String(randomInt(100, 1000));
  const tail = suffix ?? String(randomInt(1000, 10000));
  return `+4179${middle}${tail}`;
}

export interface Stack {
  env: TestWorkflowEnvironment;
  emulator: Emulator;
  infobip: InfobipClient;
  worker: RunningWorker;
  applications: ApplicationDeclaration[];
  /** A workflow input for `destination` on the first application, with policy overrides. */
  input(
    destination: string,
    over?: Partial<Omit<VerificationInput, 'policy'>> & { policy?: Partial<VerificationPolicy> },
  ): VerificationInput;
  /** PINs delivered to a destination, newest first. */
  inbox(destination: string): { channel: Channel; pin: string; text: string }[];
  /** Infobip requests the emulator saw for an operation, e.g. `POST /2fa/2/pin/{pinId}/verify`. */
  requests(operation: string): number;
  close(): Promise<void>;
}

export async function startStack(
  env: TestWorkflowEnvironment,
  options: {
    applications?: ApplicationDeclaration[];
    emulator?: EmulatorOptions;
    worker?: Partial<Omit<WorkerOptions, 'connection' | 'workflowBundle' | 'workflowsPath' | 'activities'>>;
  } = {},
): Promise<Stack> {
  const applications = options.applications ?? [testApplication()];
  const emulator = await createEmulator({ apiKeys: [API_KEY], managementLimits: false, ...options.emulator });
  const infobip = createInfobipClient({ baseUrl: emulator.url, apiKey: API_KEY });
  try {
    for (const app of applications) await ensureApplication(infobip, app, { dryRun: false });
  } catch (err) {
    await emulator.close();
    throw err;
  }
  const worker = await startWorker(env, {
    ...options.worker,
    activities: createActivities({
      infobip,
      applications,
      webhookSecrets: { TEST_WEBHOOK_SECRET: 'test-secret' },
    }),
  });
  const hashKey = Buffer.from('stack-test-hash-key-0123456789abcdef');
  const first = applications[0]!;
  return {
    env,
    emulator,
    infobip,
    worker,
    applications,
    input(destination, over = {}) {
      const { policy, ...rest } = over;
      return {
        application: first.name,
        destination,
        channel: destination.includes('@') ? 'EMAIL' : 'SMS',
        destinationMasked: maskDestination(destination),
        destinationHash: createHmac('sha256', hashKey).update(destination).digest('hex').slice(0, 32),
        ...rest,
        policy: testPolicy({ ...first.policy, pin: first.pin, ...policy }),
      };
    },
    inbox(destination) {
      return emulator.inbox
        .messages(destination)
        .map((m) => ({ channel: m.channel, pin: m.pin, text: m.text }));
    },
    requests(operation) {
      return emulator.stats.requests()[operation] ?? 0;
    },
    async close() {
      await worker.shutdown();
      await emulator.close();
      await infobip.close();
    },
  };
}
