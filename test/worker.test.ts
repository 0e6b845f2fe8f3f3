/**
 * The worker with the real activities against the emulator on the shared dev server: a
 * verification end to end, a second Infobip base URL by configuration only, and encryption
 * (no destination or code in clear in Temporal's history; the codec endpoint decodes it).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureApplication } from '../setup/applications';
import { createCodecServer, createDataConverter, EncryptionCodec, toJsonPayloads } from '../codec';
import { loadConfig } from '../config';
import type { OtpflowConfig } from '../config/types';
import { createEmulator, type Emulator } from '../emulator';
import { createInfobipClient } from '../infobip';
import { OtpClient } from '../client/otp-client';
import { randomPhone } from './kits/client';
import { buildWorkflowBundle } from '../worker/bundle';
import { createOtpWorker } from '../worker/create-worker';
import { connectTestEnv, uniqueTaskQueue, workflowBundlePath } from './harness/temporal';

const HASH_KEY = randomBytes(32).toString('hex');

function configFor(emu: Emulator, extra: Record<string, string> = {}): OtpflowConfig {
  return loadConfig({
    HOME: '/nonexistent',
    INFOBIP_BASE_URL: emu.url,
    INFOBIP_API_KEY: emu.apiKeys[0],
    OTPFLOW_DESTINATION_HASH_KEY: HASH_KEY,
    OTPFLOW_TASK_QUEUE: uniqueTaskQueue('worker'),
    ...extra,
  });
}

async function setUp(config: OtpflowConfig): Promise<void> {
  const infobip = createInfobipClient(config.infobip);
  try {
    for (const app of config.applications) await ensureApplication(infobip, app);
  } finally {
    await infobip.close();
  }
}

/** Runs one verification through `otp`, reading the PIN from `emu`'s inbox. */
async function verifyOnce(otp: OtpClient, emu: Emulator, phone: string) {
  const started = await otp.start({ application: 'login', destination: phone });
  expect(started.status).toBe('PENDING');
  const sms = emu.inbox.latest(phone);
  expect(sms?.pin).toMatch(/^\d{6}$/);
  const wrong = sms!.pin === '000000' ? '111111' : '000000';
  expect(await otp.check(started.id, wrong)).toMatchObject({ verified: false });
  expect(await otp.check(started.id, sms!.pin)).toMatchObject({ status: 'VERIFIED', verified: true });
  return { id: started.id, pin: sms!.pin, wrong };
}

describe('otpflow worker', () => {
  let env: TestWorkflowEnvironment;
  let emu: Emulator;
  let emu2: Emulator;

  beforeAll(async () => {
    env = await connectTestEnv();
    emu = await createEmulator({ managementLimits: false });
    emu2 = await createEmulator({ managementLimits: false, apiKeys: ['second-account-key'] });
  });
  afterAll(async () => {
    await emu?.close();
    await emu2?.close();
    await env?.teardown();
  });

  async function runWith(
    config: OtpflowConfig,
    fn: (otp: OtpClient, client: Client) => Promise<void>,
    /** true: the run's plain bundle; false: the sources (or dist/); a path: that bundle. */
    bundle: boolean | string = true,
  ) {
    await setUp(config);
    const { worker, close } = await createOtpWorker({
      config,
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      ...(bundle ? { workflowBundlePath: typeof bundle === 'string' ? bundle : workflowBundlePath() } : {}),
    });
    const client = new Client({
      connection: env.connection,
      namespace: env.namespace ?? 'default',
      dataConverter: createDataConverter(config),
    });
    const otp = new OtpClient({
      client,
      applications: config.applications,
      destinationHashKey: config.destinationHashKey,
      taskQueue: config.temporal.taskQueue,
    });
    try {
      await worker.runUntil(() => fn(otp, client));
    } finally {
      await close();
    }
  }

  it('runs a verification end to end with the real activities', async () => {
    const config = configFor(emu);
    await runWith(config, async (otp) => {
      await verifyOnce(otp, emu, randomPhone());
    });
  });

  it('moves to another Infobip base URL by configuration alone', async () => {
    const config = configFor(emu2);
    expect(config.infobip).toEqual({ baseUrl: emu2.url, apiKey: 'second-account-key' });
    const phone = randomPhone();
    await runWith(config, async (otp) => {
      await verifyOnce(otp, emu2, phone);
    });
    expect(emu.inbox.messages(phone)).toEqual([]);
    expect(emu2.inbox.messages(phone)).toHaveLength(1);
  });

  it('keeps destination and code out of the history when encryption is on; the codec endpoint decodes it', async () => {
    const keys = `k1:${randomBytes(32).toString('base64')}`;
    const config = configFor(emu, { OTPFLOW_ENCRYPTION_KEYS: keys });
    const phone = randomPhone();
    let id = '';
    let pin = '';
    let wrong = '';
    // bundle = false: the worker bundles the workflows with the encoding failure converter.
    await runWith(
      config,
      async (otp) => {
        ({ id, pin, wrong } = await verifyOnce(otp, emu, phone));
      },
      false,
    );
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    const raw = Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1');
    const digits = phone.slice(1);
    expect(raw).not.toContain(digits);
    expect(raw).not.toContain(digits.slice(-7));
    expect(raw).not.toContain(pin);
    expect(raw).not.toContain(wrong);
    expect(raw).toContain('binary/encrypted');

    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const input = started?.input?.payloads ?? [];
    expect(input.length).toBe(1);
    const codec = await createCodecServer({
      codec: new EncryptionCodec(config.encryptionKeys),
      corsOrigins: ['http://localhost:8233'],
      apiKeys: ['operator-key-0123456789'],
    });
    try {
      const res = await fetch(`${codec.url}/decode`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Namespace': 'default',
          Authorization: 'Bearer operator-key-0123456789',
        },
        body: JSON.stringify(
          toJsonPayloads(
            input.map((p) => ({ metadata: p.metadata ?? {}, data: p.data ?? new Uint8Array() })),
          ),
        ),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { payloads: { data: string }[] };
      const decoded = JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString('utf8')) as {
        destination: string;
        application: string;
      };
      expect(decoded).toMatchObject({ destination: phone, application: 'login' });
    } finally {
      await codec.close();
    }
  });

  it.each([
    ['bundled from sources at start', false],
    ['the prebuilt encrypted bundle (npm run build)', true],
  ])(
    'encrypts failure messages too (%s): activity and workflow failures read "Encoded failure"',
    async (_name, prebuilt) => {
      const config = configFor(emu, { OTPFLOW_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` });
      const app = config.applications[0]!;
      const phone = randomPhone();
      let sendFailedId = '';
      let invalidId = '';
      const bundlePath = prebuilt
        ? await buildWorkflowBundle(
            path.join(mkdtempSync(path.join(tmpdir(), 'otpflow-bundle-')), 'workflow-bundle-encrypted.js'),
            true,
          )
        : undefined;
      await runWith(
        config,
        async (otp, client) => {
          // Infobip refuses the send: the activity failure lands in history.
          emu.faults.add({
            match: { method: 'POST', path: '/2fa/2/pin' },
            times: 1,
            action: { status: 400 },
          });
          const refused = await otp
            .start({ application: 'login', destination: phone })
            .catch((e: unknown) => e);
          expect(refused).toMatchObject({ code: 'OTP_SEND_FAILED', reasonCode: 'INFOBIP_REFUSED' });
          sendFailedId = (refused as { id: string }).id;
          await client.workflow.getHandle(sendFailedId).result();
          // A start the workflow rejects: the workflow's own failure, converted inside the sandbox.
          invalidId = `otp-invalid-${randomBytes(4).toString('hex')}`;
          const handle = await client.workflow.start('verificationWorkflow', {
            workflowId: invalidId,
            taskQueue: config.temporal.taskQueue,
            args: [
              {
                application: 'login',
                destination: 'not a number +41791112233',
                channel: 'SMS',
                policy: { ...app.policy, pin: app.pin },
                destinationMasked: 'x',
                destinationHash: 'x',
              },
            ],
          });
          await expect(handle.result()).rejects.toThrow();
        },
        bundlePath ?? false,
      );
      const failures = async (id: string) => {
        const history = await env.client.workflow.getHandle(id).fetchHistory();
        return (history.events ?? []).flatMap((e) => {
          const f =
            e.activityTaskFailedEventAttributes?.failure ?? e.workflowExecutionFailedEventAttributes?.failure;
          return f ? [f] : [];
        });
      };
      const activityFailures = await failures(sendFailedId);
      const workflowFailures = await failures(invalidId);
      expect(activityFailures.length).toBeGreaterThan(0);
      expect(workflowFailures.length).toBe(1);
      for (const f of [...activityFailures, ...workflowFailures]) {
        expect(f.message).toBe('Encoded failure');
        expect(f.stackTrace ?? '').toBe('');
        expect(Buffer.from(f.encodedAttributes!.metadata!.encoding!).toString()).toBe('binary/encrypted');
      }
    },
  );
});
