/**
 * `npx tsx bench/start-latency.ts [--starts N] [--pause MS]`: how long `OtpClient.start` takes
 * to answer, and how long until the PIN is in the emulator's inbox, one start after another
 * (concurrency 1). Starts its own headless dev server (the bench's flags), the emulator with
 * the bench application and an otpflow worker process, then makes N starts (default 50) after
 * five warm-up starts, each for a fresh number, pausing MS (default 100) after each PIN.
 * Prints p50/p95/mean of start → answer and start → PIN (the emulator's delivery time minus
 * the moment before the call).
 *
 * Why the pause: a start that follows the previous answer within a few milliseconds often
 * waits ~100 ms more for its first workflow task on the dev server (in every version measured),
 * which no caller of a login page does.
 */
import { parseArgs } from 'node:util';
import { OtpClient } from '../client/otp-client';
import { nextNumber } from './driver';
import { distribution, type Distribution } from './machine';
import { BENCH_API_KEY, startBenchStack } from './stack';
import { startWorkerProcess } from './worker-process';

const { values: args } = parseArgs({ options: { starts: { type: 'string' }, pause: { type: 'string' } } });
const STARTS = Number(args.starts ?? 50);
const PAUSE_MS = Number(args.pause ?? 100);
const WARM_UP = 5;
const PIN_TIMEOUT_MS = 30_000;

const log = (m: string) => console.error(`[start-latency] ${m}`);
const line = (name: string, d: Distribution) =>
  `${name.padEnd(18)} p50 ${d.p50.toFixed(0).padStart(4)} ms   p95 ${d.p95.toFixed(0).padStart(4)} ms   mean ${d.mean.toFixed(0).padStart(4)} ms   (n=${d.n})`;

async function main(): Promise<void> {
  const stack = await startBenchStack(log);
  const taskQueue = 'start-latency';
  const worker = await startWorkerProcess({
    kind: 'otpflow',
    address: stack.env.address,
    namespace: stack.env.namespace ?? 'default',
    taskQueue,
    bundlePath: stack.bundles.otpflow,
    emulatorUrl: stack.emulator.url,
    apiKey: BENCH_API_KEY,
    applications: [stack.app],
    options: {},
  });
  try {
    const otp = new OtpClient({
      client: stack.env.client,
      applications: [stack.app],
      destinationHashKey: Buffer.from('otpflow-bench-destination-hash-key'),
      taskQueue,
    });
    const answer: number[] = [];
    const pin: number[] = [];
    for (let i = 0; i < WARM_UP + STARTS; i++) {
      const to = nextNumber();
      const t0 = Date.now();
      const started = await otp.start({ destination: to });
      const answered = Date.now() - t0;
      if (started.status !== 'PENDING' || !started.created)
        throw new Error(`start ${i} answered ${JSON.stringify(started)}`);
      const delivery = await stack.inbox.next(to, PIN_TIMEOUT_MS);
      await new Promise((r) => setTimeout(r, PAUSE_MS));
      if (i < WARM_UP) continue;
      answer.push(answered);
      pin.push(delivery.deliveredAt - t0);
    }
    console.log(line('start → answer', distribution(answer)));
    console.log(line('start → PIN', distribution(pin)));
  } finally {
    await worker.stop();
    await stack.close();
  }
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => process.exit());
