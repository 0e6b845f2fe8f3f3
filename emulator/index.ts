/**
 * The Infobip emulator: an Infobip-compatible 2FA and Number Lookup server for development and
 * tests, with a phone inbox (`/emulator`), delivery reports pushed to a subscription URL, fault
 * injection and request stats.
 *
 * ```ts
 * const emu = await createEmulator();          // http://127.0.0.1:<random port>
 * // … point the Infobip client at emu.url with `Authorization: App otpflow-dev-key` …
 * const [sms] = emu.inbox.messages('41793026727');
 * await emu.close();
 * ```
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmulatorConfigError, type RateLimitEnvelope } from './errors';
import { Store, type InboxMessage } from './state';
import { Faults, type FaultRule, type FaultRuleInput } from './faults';
import { createApiHandler } from './api-server';
import { InboxEvents, clearInbox, handleControl, inboxMessages } from './control';
import { MAX_BODY_BYTES, nextRequestId, sendJson } from './http-util';
import type { EmulatorContext } from './context';
import type { LookupOutcome } from './lookup-table';
import { ReportDispatcher, type ReportOptions } from './reports';
import type { ReportPush, ReportSubscription } from './report-push';

export type { InboxMessage, MessageDelivery, Application, Template, Pin, Channel, PinType } from './state';
export type { ReportOptions } from './reports';
export type { ReportPush, ReportSubscription, PushAttempt, PushState } from './report-push';
export type { ReportBody, ReportResult } from './report-body';
export { parseSubscription, retryDelayMs } from './report-push';
export * from './delivery-table';
export type { FaultRule, FaultRuleInput, FaultAction, FaultMatch } from './faults';
export type { RateLimitEnvelope } from './errors';
export { InfobipApiError, EmulatorConfigError, FaultRuleError } from './errors';
export { DEFAULT_CONFIGURATION, MANAGEMENT_LIMITS } from './applications';
export { PIN_ALPHABETS } from './pins';
export { TOO_MANY_DESTINATIONS } from './number-query';
export * from './lookup-table';

/** The API key the emulator accepts when none are configured. */
export const DEFAULT_API_KEY = 'otpflow-dev-key';

/** Options of `createEmulator`. */
export interface EmulatorOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Accepted API keys (`Authorization: App <key>`, or the password of `Basic`). @default ['otpflow-dev-key'] */
  apiKeys?: readonly string[];
  /**
   * JSON file keeping applications, templates, PINs, limit windows and the inbox across restarts.
   * Loaded on start; written (debounced, temp file then rename) after changes and on close.
   * @default undefined (state in memory only)
   */
  dataFile?: string;
  /** Fault rules active from the start (see `FaultRuleInput`). @default [] */
  faults?: readonly FaultRuleInput[];
  /** Body of 429 answers: Infobip's legacy `requestError` envelope or the newer `E429` one. @default 'legacy' */
  rateLimitEnvelope?: RateLimitEnvelope;
  /** Current time in Unix ms; inject a fake clock to test TTLs and limits. @default Date.now */
  clock?: () => number;
  /** Numbers (digits only) → lookup outcome, consulted before the suffix table. @default {} */
  lookupTable?: Readonly<Record<string, LookupOutcome>>;
  /**
   * Apply Infobip's per-account throttles on application management (list 50, create 20, get 100,
   * update 40 per 10 minutes). Turn off for suites that create many applications.
   * @default true
   */
  managementLimits?: boolean;
  /** Largest accepted request body in bytes; larger ones are answered 413. @default 1048576 */
  maxBodyBytes?: number;
  /** Delivery reports of tracked sends: subscription, delays, retry cycle (see `ReportOptions`). @default {} */
  reports?: ReportOptions;
}

/** A running emulator. */
export interface Emulator {
  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash). */
  url: string;
  port: number;
  apiKeys: readonly string[];
  /** The phone inbox (same data as `GET /emulator/messages`). */
  inbox: {
    /** Messages for a destination (digits, `+digits` or e-mail), or all; newest first. */
    messages(to?: string): InboxMessage[];
    /** The newest message for a destination. */
    latest(to: string): InboxMessage | undefined;
    clear(to?: string): void;
  };
  /** Fault rules (same as `/emulator/faults`). `add` throws FaultRuleError on a malformed rule. */
  faults: {
    add(rule: FaultRuleInput): FaultRule;
    list(): FaultRule[];
    remove(id: string): boolean;
    clear(): void;
  };
  /** Delivery reports (same as `/emulator/subscription` and `/emulator/reports`). */
  reports: {
    /** Sets the subscription reports are pushed to (throws EmulatorConfigError if malformed), or clears it with undefined. */
    subscribe(subscription: ReportSubscription | undefined): void;
    subscription(): ReportSubscription | undefined;
    /** Pushes made or planned, oldest first. */
    pushes(filter?: { messageId?: string; to?: string }): ReportPush[];
    /** Resolves once no outcome is still to play out and no push is waiting or retrying. */
    idle(): Promise<void>;
    /** Forgets the pushes made and gives up those still waiting or retrying. */
    clear(): void;
  };
  /** Requests seen per operation (`"POST /2fa/2/pin/{pinId}/verify"`), including faulted and rejected ones. */
  stats: {
    requests(): Record<string, number>;
    reset(): void;
  };
  /** Writes the data file now (no-op without one). */
  flush(): Promise<void>;
  /** Stops listening, ends live connections and writes the data file. */
  close(): Promise<void>;
}

/**
 * Starts an emulator. Rejects with EmulatorConfigError when the data file cannot be read, or
 * FaultRuleError for a malformed start-up fault; with the listen error if the port is taken.
 */
export async function createEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const apiKeys = [...(options.apiKeys ?? [DEFAULT_API_KEY])];
  if (apiKeys.length === 0 || apiKeys.some((k) => typeof k !== 'string' || k === '')) {
    throw new EmulatorConfigError('apiKeys must be a non-empty list of non-empty strings');
  }
  const store = new Store(options.dataFile);
  await store.load();
  const faults = new Faults();
  for (const rule of options.faults ?? []) faults.add(rule);
  const stats = new Map<string, number>();
  const events = new InboxEvents();
  const clock = options.clock ?? Date.now;
  const reports = new ReportDispatcher(
    {
      store,
      faults,
      now: clock,
      lookupTable: options.lookupTable,
      publish: (m) => events.publish('delivery', { id: m.id, to: m.to, delivery: m.delivery }),
    },
    options.reports,
  );
  const ctx: EmulatorContext = {
    store,
    now: clock,
    lookupTable: options.lookupTable,
    managementLimits: options.managementLimits ?? true,
    deliver(message, tracked) {
      store.addInbox(message);
      events.publish('message', message);
      if (tracked) reports.track(message);
    },
  };
  const api = createApiHandler({
    ctx,
    faults,
    stats,
    apiKeys: new Set(apiKeys),
    rateLimitEnvelope: options.rateLimitEnvelope ?? 'legacy',
    maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES,
  });
  const control = { store, faults, stats, events, reports };

  const server = createServer((req, res) => {
    const requestId = nextRequestId();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const search = q < 0 ? '' : url.slice(q + 1);
    const isControl = pathname === '/emulator' || pathname.startsWith('/emulator/');
    const fail = (err: unknown) => {
      // Whatever happens to one request (client gone, bug), the server keeps running.
      if (!res.headersSent && !res.destroyed) {
        sendJson(
          res,
          500,
          {
            requestError: {
              serviceException: {
                messageId: 'GENERAL_ERROR',
                text: 'Something went wrong. Please contact support.',
              },
            },
          },
          requestId,
        );
      } else res.destroy();
      if ((err as NodeJS.ErrnoException)?.code !== 'ECONNRESET')
        process.emitWarning(`otpflow emulator: ${String((err as Error)?.stack ?? err)}`);
    };
    if (isControl) handleControl(control, req, res, pathname, search, requestId).catch(fail);
    else {
      try {
        api(req, res, pathname, search, requestId, fail);
      } catch (err) {
        fail(err);
      }
    }
  });
  server.keepAliveTimeout = 65_000;
  server.on('clientError', (_err, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    apiKeys,
    inbox: {
      messages: (to) => inboxMessages(store, to),
      latest: (to) => inboxMessages(store, to)[0],
      clear: (to) => clearInbox(store, events, to),
    },
    faults: {
      add: (rule) => faults.add(rule),
      list: () => faults.list(),
      remove: (id) => faults.remove(id),
      clear: () => faults.clear(),
    },
    reports: {
      subscribe: (subscription) => void reports.subscribe(subscription),
      subscription: () => reports.subscription(),
      pushes: (filter) => reports.list(filter),
      idle: () => reports.idle(),
      clear: () => reports.clear(),
    },
    stats: {
      requests: () => Object.fromEntries(stats),
      reset: () => stats.clear(),
    },
    flush: () => store.flush(),
    close() {
      closing ??= (async () => {
        reports.close();
        events.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await store.flush();
      })();
      return closing;
    },
  };
}
