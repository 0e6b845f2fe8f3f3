/**
 * Verify throughput of the Infobip emulator on loopback, against a bare node:http server that
 * answers a JSON body of the same size, in the same run.
 *
 *   npx tsx bench/emulator-verify.ts [--seconds 5] [--rounds 2] [--concurrency 64]
 *
 * Each server runs in its own child process so the load generator (undici Pool, fixed number
 * of requests in flight) does not share an event loop with it. Prints both rates, the ratio and
 * the machine. The two servers are measured in alternating rounds (bare, emulator, bare, …) so
 * that a busy machine affects both alike; the figures are the mean over rounds. It also prints
 * each server's CPU time per request (from the child's process.cpuUsage()), the figure that a
 * machine shared with other work disturbs least.
 * Targets (issue 3): ≥ 5,000 verifies/s and ratio ≥ 0.5.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { createEmulator } from '../emulator';

const KEY = 'bench-key';
const SAMPLE = JSON.stringify({
  pinId: 'F'.repeat(32),
  msisdn: '41790000000',
  verified: true,
  attemptsRemaining: 0,
});

async function serve(kind: string): Promise<void> {
  let url: string;
  if (kind === 'emulator') {
    const emu = await createEmulator({ apiKeys: [KEY], managementLimits: false });
    url = emu.url;
  } else {
    const server = createServer((req, res) => {
      req.on('data', () => undefined);
      req.on('end', () => {
        res.writeHead(200, {
          'Content-Type': 'application/json;charset=UTF-8',
          'Content-Length': Buffer.byteLength(SAMPLE),
        });
        res.end(SAMPLE);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }
  // The parent asks for CPU time around each measurement: CPU per request is the figure a busy
  // machine disturbs least.
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMicros: user + system });
  });
  process.send?.({ url });
}

async function cpuMicros(child: ChildProcess): Promise<number> {
  const reply = once(child, 'message') as Promise<[{ cpuMicros: number }]>;
  child.send('cpu');
  return (await reply)[0].cpuMicros;
}

async function startChild(kind: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(__filename, ['--serve', kind], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const [msg] = (await once(child, 'message')) as [{ url: string }];
  return { child, url: msg.url };
}

interface Target {
  path: (i: number) => string;
  body: (i: number) => string;
}

/** Keeps `concurrency` requests in flight for `seconds`; returns completed 200s per second. */
async function load(
  server: { url: string; child: ChildProcess },
  target: Target,
  seconds: number,
  concurrency: number,
) {
  const url = server.url;
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const headers = { authorization: `App ${KEY}`, 'content-type': 'application/json' };
  let ok = 0;
  let failed = 0;
  const run = async (ms: number, count: boolean) => {
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, w) => {
        for (let i = w; performance.now() < end; i += concurrency) {
          const res = await pool.request({
            method: 'POST',
            path: target.path(i),
            headers,
            body: target.body(i),
          });
          await res.body.text();
          if (!count) continue;
          if (res.statusCode === 200) ok++;
          else failed++;
        }
      }),
    );
  };
  await run(1500, false); // warm-up: JIT, connections
  const cpu0 = await cpuMicros(server.child);
  const t0 = performance.now();
  await run(seconds * 1000, true);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = (await cpuMicros(server.child)) - cpu0;
  await pool.close();
  return { rps: ok / elapsed, failed, cpuPerRequest: cpu / Math.max(1, ok + failed) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '2' },
      concurrency: { type: 'string', default: '64' },
      serve: { type: 'string' },
    },
  });
  if (values.serve) return serve(values.serve);
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const rounds = Number(values.rounds);

  const emu = await startChild('emulator');
  const bare = await startChild('bare');
  try {
    // Setup over HTTP: an application whose limits do not throttle the benchmark, and PINs to verify.
    const api = async (path: string, body: unknown) => {
      const res = await fetch(emu.url + path, {
        method: 'POST',
        headers: { Authorization: `App ${KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      return (await res.json()) as Record<string, string>;
    };
    const app = await api('/2fa/2/applications', {
      name: 'bench',
      configuration: {
        verifyPinLimit: '100000000/1s',
        pinAttempts: 1000,
        sendPinPerApplicationLimit: '1000000/1d',
        pinTimeToLive: '1d',
      },
    });
    const tmpl = await api(`/2fa/2/applications/${app.applicationId}/messages`, {
      messageText: 'Code {{pin}}',
      pinType: 'NUMERIC',
      pinLength: 6,
    });
    const pins: Array<{ pinId: string; pin: string }> = [];
    for (let i = 0; i < 256; i++) {
      const to = `4179${String(1_000_000 + i)}`;
      const sent = await api('/2fa/2/pin?ncNeeded=false', {
        applicationId: app.applicationId,
        messageId: tmpl.messageId,
        to,
      });
      const inbox = (await (await fetch(`${emu.url}/emulator/messages?to=${to}`)).json()) as {
        messages: Array<{ pin: string }>;
      };
      pins.push({ pinId: sent.pinId ?? '', pin: inbox.messages[0]?.pin ?? '' });
    }
    const verify: Target = {
      path: (i) => `/2fa/2/pin/${pins[i % pins.length]?.pinId}/verify`,
      body: (i) => `{"pin":"${pins[i % pins.length]?.pin}"}`,
    };

    const bareRates: number[] = [];
    const emuRates: number[] = [];
    const bareCpu: number[] = [];
    const emuCpu: number[] = [];
    let failures = 0;
    for (let r = 0; r < rounds; r++) {
      const b = await load(bare, verify, seconds, concurrency);
      const e = await load(emu, verify, seconds, concurrency);
      bareRates.push(b.rps);
      emuRates.push(e.rps);
      bareCpu.push(b.cpuPerRequest);
      emuCpu.push(e.cpuPerRequest);
      failures += b.failed + e.failed;
    }
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    const fmt = (xs: number[]) =>
      `${mean(xs).toFixed(0).padStart(7)} req/s  (rounds: ${xs.map((x) => x.toFixed(0)).join(', ')})`;
    const cpus = os.cpus();
    console.log(
      `machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, node ${process.version}, ${os.platform()} ${os.release()}, load average ${os.loadavg()[0]?.toFixed(1)}`,
    );
    console.log(
      `load: undici Pool, ${concurrency} requests in flight, ${rounds} × ${seconds}s per server after 1.5s warm-up each`,
    );
    console.log(`bare node:http  ${fmt(bareRates)}`);
    console.log(`emulator verify ${fmt(emuRates)}`);
    console.log(
      `server CPU per request: bare ${mean(bareCpu).toFixed(1)} µs, emulator ${mean(emuCpu).toFixed(1)} µs → CPU ratio ${(mean(bareCpu) / mean(emuCpu)).toFixed(2)}, emulator ≈ ${(1e6 / mean(emuCpu)).toFixed(0)} verifies/s per core`,
    );
    console.log(
      `ratio emulator/bare: ${(mean(emuRates) / mean(bareRates)).toFixed(2)}  (targets: ≥ 5000 req/s, ratio ≥ 0.5); non-200 answers: ${failures}`,
    );
  } finally {
    emu.child.kill();
    bare.child.kill();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
