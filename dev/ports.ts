/**
 * Port checks for the local stacks (`otpflow dev`, `otpflow cluster`): every port a stack will
 * listen on is tried before anything starts, and a taken one is refused with the flag that
 * moves it — a stack never half-starts, and never talks to another stack's process by mistake.
 */
import { createServer } from 'node:net';

/** A port a stack is about to listen on, and how the user moves it. */
export interface PortClaim {
  port: number;
  /** What listens there, e.g. `Temporal gRPC`. */
  what: string;
  /** The option that changes it, e.g. `--port`. */
  flag: string;
}

/** Thrown when a port a stack needs is taken, or claimed twice; the message names each port and its flag. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  readonly code = 'PORT_IN_USE';
  constructor(
    readonly claims: PortClaim[],
    message: string,
  ) {
    super(message);
  }
}

/** Whether `host:port` can be listened on right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A TCP port on `host` that was free a moment ago (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `port 7233 (Temporal gRPC) is already in use; choose another with --port` */
export function describeTaken(claim: PortClaim): string {
  return `port ${claim.port} (${claim.what}) is already in use; choose another with ${claim.flag}`;
}

/**
 * Checks every claim (port 0 = "any", skipped). Throws `PortInUseError` naming each port that is
 * taken or claimed twice, with the flag to change; resolves when all are free.
 */
export async function checkPorts(claims: readonly PortClaim[], host = '127.0.0.1'): Promise<void> {
  const problems: string[] = [];
  const bad: PortClaim[] = [];
  const seen = new Map<number, PortClaim>();
  for (const claim of claims) {
    if (claim.port === 0) continue;
    const first = seen.get(claim.port);
    if (first) {
      problems.push(
        `port ${claim.port} is given to both ${first.what} (${first.flag}) and ${claim.what} (${claim.flag}); choose another with ${claim.flag}`,
      );
      bad.push(claim);
      continue;
    }
    seen.set(claim.port, claim);
  }
  const taken = await Promise.all(
    [...seen.values()].map(async (c) => ((await isPortFree(c.port, host)) ? undefined : c)),
  );
  for (const claim of taken) {
    if (!claim) continue;
    problems.push(describeTaken(claim));
    bad.push(claim);
  }
  if (problems.length > 0) throw new PortInUseError(bad, problems.join('\n'));
}
