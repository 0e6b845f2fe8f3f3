/**
 * SMS pumping on the real stack: the shared dev server, the Infobip emulator, two worker
 * processes (this one and a child, each with its `GuardReporter` feeding one guard workflow) and two HTTP API instances (each with its own
 * `GuardWatcher`, refreshed every second as `otpflow api` does). An attacker asks for codes to
 * fresh numbers of one prefix that never verify — 2,000 starts within 2 minutes — while
 * legitimate users start verifications to five other prefixes and 85 % of them enter their code.
 *
 * Figures (printed, saved for RELIABILITY.md): messages the attacked prefix got, legitimate
 * starts refused, how long each API instance took to refuse after the guard blocked, and that
 * the block lifts after its cool-off once the traffic is clean.
 *
 * Inputs (environment, so a run need not take hours): PUMPING_ATTACK_STARTS (2000),
 * PUMPING_ATTACK_SECONDS (120), PUMPING_LEGIT_PER_SECOND (1), PUMPING_COOL_OFF_SECONDS (the attack's
 * duration + 15 s, so that the block outlasts it),
 * PUMPING_WARM_UP_SECONDS (15: legitimate traffic alone before the attack).
 */
import type { ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { loadavg } from 'node:os';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities';
import { createApiServer } from '../../api/server';
import { GuardWatcher } from '../../client/guard';
import { OtpClient } from '../../client/otp-client';
import type { ApplicationDeclaration } from '../../config/types';
import { guardViewQuery, guardWorkflowId } from '../../domain/guard-messages';
import type { PrefixBlock } from '../../domain/guard-types';
import { ensureApplication } from '../../setup/applications';
import { createEmulator, type Emulator } from '../../emulator';
import { createInfobipClient, type InfobipClient } from '../../infobip';
import { GuardReporter } from '../../worker/guard-reporter';
import { connectTestEnv, startWorker, uniqueTaskQueue, type RunningWorker } from '../harness/temporal';
import { API_KEY, chaosApplication, HASH_KEY, spawnWorkerProcess, reportFigures, waitFor } from './support';

const input = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const ATTACK_STARTS = input('PUMPING_ATTACK_STARTS', 2000);
const ATTACK_SECONDS = input('PUMPING_ATTACK_SECONDS', 120);
const LEGIT_PER_SECOND = input('PUMPING_LEGIT_PER_SECOND', 1);
/** Outlasts the attack: the lift is checked once the traffic is clean. */
const COOL_OFF_SECONDS = input('PUMPING_COOL_OFF_SECONDS', ATTACK_SECONDS + 15);
/** Legitimate traffic alone before the attack begins (as in production, the stack is warm). */
const WARM_UP_SECONDS = input('PUMPING_WARM_UP_SECONDS', 15);

/** UK mobile range under attack (prefix of 3 national digits); its numbers are +447911…. */
const ATTACKED = '+44791';
const ATTACKED_RANGE = '+447911';
/** Where the legitimate users are: five Swiss mobile prefixes. */
const LEGIT = ['+41763', '+41772', '+41783', '+41794', '+41795'] as const;

const ATTACKER_KEY = 'pumping-attacker-key-0123456789';
const USERS_KEY = 'pumping-users-key-0123456789';

/**
 * The breaker on a test clock: a prefix without baseline may send 7 codes in 10 s (each
 * legitimate prefix sends 2 there), conversion judged after 30 s over 2 minutes.
 */
const app: ApplicationDeclaration = {
  ...chaosApplication({ lookup: 'OFF', ttlSeconds: 300, maxResends: 0 }),
  guard: {
    breaker: {
      bucketSeconds: 1,
      windowSeconds: 120,
      verifyGraceSeconds: 30,
      minVolume: 100,
      minConversion: 0.2,
      spikeWindowSeconds: 10,
      spikeFactor: 10,
      minSpikeVolume: 8,
      baselineHalfLifeSeconds: 600,
      coolOffSeconds: COOL_OFF_SECONDS,
    },
  },
};

interface Instance {
  api: FastifyInstance;
  base: string;
  watcher: GuardWatcher;
}

let env: TestWorkflowEnvironment;
let emulator: Emulator;
let infobip: InfobipClient;
let worker: RunningWorker;
let reporter: GuardReporter;
let child: ChildProcess | undefined;
const instances: Instance[] = [];

beforeAll(async () => {
  env = await connectTestEnv();
  emulator = await createEmulator({ apiKeys: [API_KEY], managementLimits: false });
  infobip = createInfobipClient({ baseUrl: emulator.url, apiKey: API_KEY });
  await ensureApplication(infobip, app, { dryRun: false });
  const taskQueue = uniqueTaskQueue('pumping');
  // Two worker processes, each aggregating its own feed: this one and a child process.
  reporter = new GuardReporter([app], { taskQueue });
  worker = await startWorker(env, {
    taskQueue,
    activities: createActivities({ infobip, applications: [app], guardFeed: reporter }),
  });
  reporter.start(env.client);
  const spawned = await spawnWorkerProcess({
    address: inject('temporalAddress'),
    namespace: inject('temporalNamespace'),
    taskQueue,
    bundlePath: inject('workflowBundlePath'),
    emulatorUrl: emulator.url,
    apiKey: API_KEY,
    applications: [app],
    guardFeed: true,
  });
  spawned.go();
  child = spawned.proc;
  for (let i = 0; i < 2; i++) {
    const watcher = new GuardWatcher(env.client);
    watcher.watch([app.name]);
    const otp = new OtpClient({
      client: env.client,
      applications: [app],
      destinationHashKey: HASH_KEY,
      taskQueue,
      guard: watcher,
    });
    const api = createApiServer({
      otp,
      apiKeys: [ATTACKER_KEY, USERS_KEY],
      rateLimit: { perSecond: 50, burst: 100 },
    });
    instances.push({ api, watcher, base: await api.listen({ port: 0, host: '127.0.0.1' }) });
  }
}, 120_000);

afterAll(async () => {
  for (const i of instances) {
    i.watcher.close();
    await i.api.close();
  }
  await reporter?.close();
  await worker?.shutdown();
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child?.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  await emulator?.close();
  await infobip?.close();
  await env?.teardown();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Emulator inbox numbers have no `+`. */
const digits = (to: string) => to.replace(/\D/g, '');
/** A fresh valid number under `prefix` (UK numbers have 12 digits, Swiss ones 11). */
const numberIn = (prefix: string): string => {
  const rest = (prefix.startsWith('+44') ? 12 : 11) - digits(prefix).length;
  for (;;) {
    const n = `${prefix}${String(randomInt(0, 10 ** rest)).padStart(rest, '0')}`;
    if (parsePhoneNumberFromString(n)?.isValid()) return n;
  }
};

async function post(instance: Instance, path: string, body: unknown, key: string) {
  const res = await fetch(instance.base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Messages the emulator delivered to numbers under `prefix`. */
const messagesTo = (prefix: string) =>
  emulator.inbox.messages().filter((m) => digits(m.to).startsWith(digits(prefix))).length;

const guardView = () => env.client.workflow.getHandle(guardWorkflowId(app.name)).query(guardViewQuery);

/** A legitimate user: starts, waits for the code, and enters it unless `abandons`. */
async function legitimateUser(instance: Instance, prefix: string, abandons: boolean) {
  const to = numberIn(prefix);
  const start = await post(instance, '/v1/verifications', { application: app.name, to }, USERS_KEY);
  if (start.status !== 201 && start.status !== 200) return { refused: true, verified: false, start };
  if (abandons) return { refused: false, verified: false, start };
  const sms = await waitFor(() => emulator.inbox.latest(to), `the code for ${to}`, 60_000);
  const id = encodeURIComponent(start.body.id as string);
  const check = await post(instance, `/v1/verifications/${id}/check`, { code: sms.pin }, USERS_KEY);
  return { refused: false, verified: check.body.verified === true, start };
}

describe('SMS pumping against the real stack', () => {
  it(
    'blocks the attacked prefix within a few dozen messages, refuses no legitimate start, and lifts after the cool-off',
    async () => {
      // When each API instance first refuses the prefix (its watcher holds the block).
      const seenAt: (number | undefined)[] = instances.map(() => undefined);
      let watching = true;
      const watch = (async () => {
        while (watching) {
          instances.forEach((inst, i) => {
            const view = inst.watcher.peek(app.name);
            if (seenAt[i] === undefined && view?.blocks.some((b) => b.prefix === ATTACKED))
              seenAt[i] = Date.now();
          });
          await sleep(25);
        }
      })();

      const attackStatuses = new Map<number, number>();
      const attacks: Promise<void>[] = [];
      const legit: Promise<Awaited<ReturnType<typeof legitimateUser>>>[] = [];
      const t0 = Date.now();
      const attackEvery = (ATTACK_SECONDS * 1000) / ATTACK_STARTS;
      const legitEvery = 1000 / LEGIT_PER_SECOND;
      let a = 0;
      let l = 0;
      // One clock for both streams: each request leaves at its scheduled time, answered or not.
      const attackAt = WARM_UP_SECONDS * 1000;
      while (a < ATTACK_STARTS) {
        const now = Date.now() - t0;
        while (a < ATTACK_STARTS && attackAt + a * attackEvery <= now) {
          const instance = instances[a % 2] as Instance;
          const to = numberIn(ATTACKED_RANGE);
          attacks.push(
            post(instance, '/v1/verifications', { application: app.name, to }, ATTACKER_KEY).then(
              (r) => void attackStatuses.set(r.status, (attackStatuses.get(r.status) ?? 0) + 1),
              () => void attackStatuses.set(0, (attackStatuses.get(0) ?? 0) + 1),
            ),
          );
          a++;
        }
        while (l * legitEvery <= now) {
          // Every 20 users, 3 never enter their code: 85 % verify.
          legit.push(
            legitimateUser(instances[l % 2] as Instance, LEGIT[l % LEGIT.length] as string, l % 20 >= 17),
          );
          l++;
        }
        await sleep(Math.max(1, Math.min(attackEvery, legitEvery) / 2));
      }
      const attackMs = Date.now() - t0 - attackAt;
      await Promise.all(attacks);
      const users = await Promise.all(legit);
      watching = false;
      await watch;

      const view = await guardView();
      // The first block of the attacked prefix (a cool-off shorter than the attack lets a second one happen).
      const block = [...view.blocks, ...view.lifted]
        .filter((b: PrefixBlock) => b.prefix === ATTACKED)
        .sort((x, y) => Date.parse(x.since) - Date.parse(y.since))[0];
      expect(block, `the guard blocked the attacked prefix: ${JSON.stringify(view)}`).toBeDefined();
      const since = Date.parse((block as PrefixBlock).since);
      const effectiveMs = seenAt.map((t) => (t === undefined ? Number.POSITIVE_INFINITY : t - since));
      const sentToAttacked = messagesTo(ATTACKED);
      const refusedLegit = users.filter((u) => u.refused);
      const verified = users.filter((u) => u.verified).length;
      const blockedPrefixes = view.blocks.map((b) => b.prefix);

      // Clean traffic from now on: the block lifts at its `until`, on every instance.
      const until = Date.parse((block as PrefixBlock).until);
      const lifted = await waitFor(
        async () => ((await guardView()).blocks.some((b) => b.prefix === ATTACKED) ? undefined : Date.now()),
        'the block to lift',
        (COOL_OFF_SECONDS + 60) * 1000,
      );
      await waitFor(
        () => (instances.every((i) => !i.watcher.peek(app.name)?.blocks.length) ? true : undefined),
        'every instance to learn the lift',
      );
      const after = await Promise.all(
        instances.map((inst) =>
          post(inst, '/v1/verifications', { application: app.name, to: numberIn(ATTACKED_RANGE) }, USERS_KEY),
        ),
      );

      reportFigures('pumping', {
        attackStarts: ATTACK_STARTS,
        attackSeconds: Math.round(attackMs / 100) / 10,
        attackRefused: attackStatuses.get(429) ?? 0,
        attackOther:
          [...attackStatuses]
            .filter(([k]) => k !== 429 && k !== 201 && k !== 200)
            .map(([k, v]) => `${k}×${v}`)
            .join(' ') || 'none',
        attackAccepted: (attackStatuses.get(201) ?? 0) + (attackStatuses.get(200) ?? 0),
        messagesToAttackedPrefix: sentToAttacked,
        messagesTargetMet: sentToAttacked <= 60 ? 'yes (≤ 60)' : 'NO (> 60)',
        rule: (block as PrefixBlock).rule,
        blockReason: (block as PrefixBlock).reason,
        blockEffectiveMsInstance1: effectiveMs[0] as number,
        blockEffectiveMsInstance2: effectiveMs[1] as number,
        effectiveTargetMet: effectiveMs.every((ms) => ms <= 5000) ? 'yes (≤ 5 s)' : 'NO (> 5 s)',
        loadAverage1m: Math.round((loadavg()[0] ?? 0) * 10) / 10,
        legitimateStarts: users.length,
        legitimateRefused: refusedLegit.length,
        legitimateVerified: verified,
        otherPrefixesBlocked: blockedPrefixes.filter((p) => p !== ATTACKED).length,
        coolOffSeconds: COOL_OFF_SECONDS,
        liftedSecondsAfterUntil: Math.round((lifted - until) / 100) / 10,
        startsAdmittedAfterLift: after.filter((r) => r.status === 201).length,
        guardFeedsOfInProcessWorker: reporter.feeds,
      });

      expect(attackStatuses.get(0) ?? 0, 'attack requests that failed outright').toBe(0);
      // The targets (≤ 60 messages, ≤ 5 s) are timings of a loaded, shared machine: they
      // are printed above and in RELIABILITY.md; the test fails only when the breaker clearly did
      // not work (a quarter of the attack got through, or an instance took half a minute).
      expect(sentToAttacked, 'messages sent to the attacked prefix').toBeLessThan(ATTACK_STARTS / 4);
      expect(
        refusedLegit.map((u) => u.start),
        'legitimate starts refused',
      ).toEqual([]);
      expect(verified / users.length).toBeGreaterThanOrEqual(0.8);
      expect(
        blockedPrefixes.filter((p) => p !== ATTACKED),
        'legitimate prefixes blocked',
      ).toEqual([]);
      for (const ms of effectiveMs)
        expect(ms, 'block effective on an API instance (ms)').toBeLessThan(30_000);
      expect((block as PrefixBlock).rule).toBe('SPIKE');
      expect(after.map((r) => r.status)).toEqual([201, 201]);
      // Feeds are aggregated: a few a second at most, however many starts.
      expect(reporter.feeds).toBeLessThanOrEqual(attackMs / 1000 + 60);
    },
    (WARM_UP_SECONDS + ATTACK_SECONDS + COOL_OFF_SECONDS + 240) * 1000,
  );
});
