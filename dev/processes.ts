/**
 * Child processes of the local stacks (`otpflow dev`, `otpflow cluster`, the bench): started in
 * their own process group (a terminal's Ctrl-C reaches only the parent, which stops the parts in
 * order), watched by a tiny shell watchdog so none outlives its parent even when the parent is
 * SIGKILLed, with their last output kept for error messages, and an exit that nobody asked for
 * reported once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

/** What to run. */
export interface ChildSpec {
  /** How messages name it, e.g. `Temporal server`, `worker 2`. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user and group (root starting PostgreSQL as `postgres`). */
  uid?: number;
  gid?: number;
  /** The signal that asks it to stop. @default 'SIGTERM' */
  stopSignal?: NodeJS.Signals;
  /** Append everything it writes to this file. */
  logFile?: string;
  /** Copy what it writes to this process's stderr, each line prefixed with `[name]`. @default false */
  echo?: boolean;
}

/** How a child ended. `error` is set when it could not be started at all. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/** A running child. */
export interface SupervisedChild {
  readonly name: string;
  /** -1 when it could not be started. */
  readonly pid: number;
  /** Resolves once the process has ended. */
  readonly exited: Promise<ExitInfo>;
  running(): boolean;
  /** The last lines it wrote (stdout and stderr together). */
  output(): string;
  /** Called once if it ends without `stop()` or `kill()` having asked for it. */
  onUnexpectedExit(fn: (exit: ExitInfo) => void): void;
  /** Sends the stop signal, SIGKILL after `graceMs`, and waits for the end. */
  stop(graceMs?: number): Promise<ExitInfo>;
  /** Sends `signal` (default SIGKILL) and waits for the end. */
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>;
}

/** "exited with code 1" / "was killed by SIGKILL" / "could not start: …" */
export function describeExit(exit: ExitInfo): string {
  if (exit.error) return `could not start: ${exit.error.message}`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}

/**
 * A `sh` that blocks reading a pipe from this process; when the pipe closes (this process
 * ended, even by SIGKILL) it sends the child `signal`, then SIGKILL after 10 s. A normal stop
 * kills the watchdog after the child has ended.
 */
function startWatchdog(pid: number, signal: NodeJS.Signals): ChildProcess {
  const script = `while read -r _; do :; done; kill -${signal.replace(/^SIG/, '')} "$1" 2>/dev/null; sleep 10; kill -KILL "$1" 2>/dev/null`;
  const dog = spawn('sh', ['-c', script, 'otpflow-watchdog', String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  dog.on('error', () => undefined);
  // Neither the watchdog nor its pipe may keep this process alive.
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return dog;
}

const KEEP_LINES = 60;

/** Starts `spec` and supervises it (see the module comment). Never throws: a failed spawn shows in `exited`. */
export function startChild(spec: ChildSpec): SupervisedChild {
  const stopSignal = spec.stopSignal ?? 'SIGTERM';
  const child = spawn(spec.command, spec.args, {
    env: spec.env ?? process.env,
    cwd: spec.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
    ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
  });
  const watchdog = child.pid ? startWatchdog(child.pid, stopSignal) : undefined;
  const log: WriteStream | undefined = spec.logFile
    ? createWriteStream(spec.logFile, { flags: 'a' })
    : undefined;
  log?.on('error', () => undefined);
  const lines: string[] = [];
  let partial = '';
  const keep = (d: Buffer) => {
    log?.write(d);
    const text = partial + d.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (spec.echo) process.stderr.write(`[${spec.name}] ${line}\n`);
    }
    if (lines.length > KEEP_LINES) lines.splice(0, lines.length - KEEP_LINES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let done = false;
  let expected = false;
  const listeners: ((exit: ExitInfo) => void)[] = [];
  const exited = new Promise<ExitInfo>((resolve) => {
    const finish = (exit: ExitInfo) => {
      if (done) return;
      done = true;
      watchdog?.kill('SIGKILL');
      log?.end();
      resolve(exit);
      if (!expected) for (const fn of listeners) fn(exit);
    };
    child.once('error', (error) => finish({ code: null, signal: null, error }));
    // Wait for 'close' so error messages can quote all the output, but not for long: a
    // grandchild that inherited the pipes could hold them open.
    child.once('exit', (code, signal) => {
      const timer = setTimeout(() => finish({ code, signal }), 1_000);
      child.once('close', () => {
        clearTimeout(timer);
        finish({ code, signal });
      });
    });
  });

  const send = (signal: NodeJS.Signals) => {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  };
  return {
    name: spec.name,
    pid: child.pid ?? -1,
    exited,
    running: () => !done,
    output: () => [...lines, partial].join('\n').trim(),
    onUnexpectedExit: (fn) => listeners.push(fn),
    async stop(graceMs = 10_000) {
      expected = true;
      if (!done) {
        send(stopSignal);
        const timer = setTimeout(() => send('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
    async kill(signal = 'SIGKILL') {
      expected = true;
      if (!done) send(signal);
      return exited;
    },
  };
}
