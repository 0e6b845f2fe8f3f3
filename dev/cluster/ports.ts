/** The ports of a cluster: which ones it claims, and a free block of them for tests and the bench. */
import { randomInt } from 'node:crypto';
import { checkPorts, type PortClaim } from '../ports';
import type { ClusterOptions } from './cluster';
import { serverPorts, type ServerPorts } from './config-files';

/** Every port the cluster will listen on, with the flag that moves it. */
export function clusterPortClaims(o: ClusterOptions): PortClaim[] {
  const sp: ServerPorts = serverPorts(o.port);
  const around: [keyof ServerPorts, string][] = [
    ['history', 'Temporal history gRPC'],
    ['matching', 'Temporal matching gRPC'],
    ['worker', 'Temporal worker service gRPC'],
    ['frontendHttp', 'Temporal HTTP API'],
    ['frontendMembership', 'Temporal frontend membership'],
    ['historyMembership', 'Temporal history membership'],
    ['matchingMembership', 'Temporal matching membership'],
    ['workerMembership', 'Temporal worker service membership'],
  ];
  const offset = (p: number) => (p > o.port ? `--port + ${p - o.port}` : `--port − ${o.port - p}`);
  return [
    { port: sp.frontend, what: 'Temporal gRPC', flag: '--port' },
    ...around.map(([k, what]) => ({ port: sp[k], what: `${what}, ${offset(sp[k])}`, flag: '--port' })),
    { port: o.postgresPort, what: 'PostgreSQL', flag: '--postgres-port' },
    { port: o.uiPort, what: 'Temporal Web UI', flag: '--ui-port' },
    ...Array.from({ length: o.apis }, (_, i) => ({
      port: o.apiPort + i,
      what: `otpflow API ${i + 1}`,
      flag: '--api-port',
    })),
    ...(o.emulator === false
      ? []
      : [{ port: o.emulatorPort, what: 'Infobip emulator', flag: '--emulator-port' }]),
    ...(o.encryption ? [{ port: o.codecPort, what: 'codec endpoint', flag: '--codec-port' }] : []),
    ...(o.metricsPort
      ? Array.from({ length: o.workers }, (_, i) => ({
          port: o.metricsPort + i,
          what: `worker ${i + 1} metrics`,
          flag: '--metrics-port',
        }))
      : []),
  ];
}

/** The ports of a cluster (all but counts and switches). */
export type ClusterPorts = Pick<
  ClusterOptions,
  'port' | 'postgresPort' | 'uiPort' | 'apiPort' | 'emulatorPort' | 'codecPort' | 'metricsPort'
>;

/**
 * A block of ports that are all free now, for a cluster with `workers` and `apis` (tests and
 * the bench), below the range the OS hands out for outgoing connections.
 */
export async function findFreeClusterPorts(workers: number, apis: number): Promise<ClusterPorts> {
  for (let attempt = 0; ; attempt++) {
    const base = randomInt(1000, 3000) * 10;
    const ports: ClusterPorts = {
      port: base + 300,
      postgresPort: base + 320,
      uiPort: base + 321,
      apiPort: base + 322,
      emulatorPort: base + 340,
      codecPort: base + 341,
      metricsPort: base + 342,
    };
    try {
      await checkPorts(clusterPortClaims({ ...ports, workers, apis, encryption: true } as ClusterOptions));
      return ports;
    } catch (err) {
      if (attempt > 20) throw err;
    }
  }
}
