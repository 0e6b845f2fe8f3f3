/**
 * The emulator's own endpoints under /emulator (no authentication, never faulted):
 * inbox page and live events, messages, faults, request stats, the delivery-report
 * subscription and the log of report pushes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson, MAX_BODY_BYTES } from './http-util';
import { EmulatorConfigError, FaultRuleError, InfobipApiError, errorBody } from './errors';
import { normalizeMsisdn } from './lookup-table';
import { INBOX_PAGE } from './inbox-page';
import type { Faults } from './faults';
import type { ReportDispatcher } from './reports';
import type { InboxMessage, Store } from './state';

/** Live viewers of the inbox (Server-Sent Events). */
export class InboxEvents {
  private readonly clients = new Set<ServerResponse>();
  private heartbeat: NodeJS.Timeout | undefined;

  subscribe(req: IncomingMessage, res: ServerResponse, requestId: string): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Request-Id': requestId,
    });
    res.write(': connected\n\n');
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
    this.heartbeat ??= setInterval(() => this.send(': ping\n\n'), 15_000).unref();
  }

  publish(event: 'message' | 'clear' | 'delivery', data: unknown): void {
    if (this.clients.size > 0) this.send(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private send(chunk: string): void {
    for (const res of this.clients) res.write(chunk);
  }
}

/** Canonical form of an inbox destination: digits for phone numbers, lower case for e-mail. */
export function destinationKey(to: string): string {
  return normalizeMsisdn(to.trim()) ?? to.trim().toLowerCase();
}

/** Inbox messages for a destination (all when `to` is undefined), newest first. */
export function inboxMessages(store: Store, to?: string): InboxMessage[] {
  const key = to === undefined ? undefined : destinationKey(to);
  const out: InboxMessage[] = [];
  for (let i = store.inbox.length - 1; i >= 0; i--) {
    const m = store.inbox[i] as InboxMessage;
    if (key === undefined || destinationKey(m.to) === key) out.push(m);
  }
  return out;
}

/** Empties the inbox, or one destination's part of it. */
export function clearInbox(store: Store, events: InboxEvents, to?: string): void {
  const key = to === undefined ? undefined : destinationKey(to);
  store.inbox = key === undefined ? [] : store.inbox.filter((m) => destinationKey(m.to) !== key);
  store.changed();
  events.publish('clear', { to: key ?? null });
}

/** What the control endpoints operate on. */
export interface ControlDeps {
  store: Store;
  faults: Faults;
  stats: Map<string, number>;
  events: InboxEvents;
  reports: ReportDispatcher;
}

function controlError(res: ServerResponse, status: number, text: string, requestId: string): void {
  const messageId = status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST';
  sendJson(res, status, errorBody(new InfobipApiError(status, messageId, text), 'legacy'), requestId);
}

/** Handles one /emulator request. */
export async function handleControl(
  deps: ControlDeps,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  search: string,
  requestId: string,
): Promise<void> {
  const method = req.method ?? 'GET';
  const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  const query = new URLSearchParams(search);
  const body = await readBody(req, MAX_BODY_BYTES);
  const to = query.get('to') ?? undefined;

  if (path === '/emulator' && method === 'GET') {
    res.writeHead(200, {
      'Content-Type': 'text/html;charset=UTF-8',
      'Content-Length': Buffer.byteLength(INBOX_PAGE),
      'X-Request-Id': requestId,
    });
    res.end(INBOX_PAGE);
    return;
  }
  if (path === '/emulator/events' && method === 'GET') return deps.events.subscribe(req, res, requestId);
  if (path === '/emulator/messages') {
    if (method === 'GET') return sendJson(res, 200, { messages: inboxMessages(deps.store, to) }, requestId);
    if (method === 'DELETE') {
      clearInbox(deps.store, deps.events, to);
      return sendJson(res, 200, { messages: [] }, requestId);
    }
  }
  if (path === '/emulator/faults') {
    if (method === 'GET') return sendJson(res, 200, { faults: deps.faults.list() }, requestId);
    if (method === 'DELETE') {
      deps.faults.clear();
      return sendJson(res, 200, { faults: [] }, requestId);
    }
    if (method === 'POST') {
      const input = jsonBody(res, body, requestId);
      if (input === NO_BODY) return;
      try {
        return sendJson(res, 201, deps.faults.add(input), requestId);
      } catch (err) {
        if (err instanceof FaultRuleError) return controlError(res, 400, err.message, requestId);
        throw err;
      }
    }
  }
  if (path.startsWith('/emulator/faults/') && method === 'DELETE') {
    const id = decodeURIComponent(path.slice('/emulator/faults/'.length));
    if (!deps.faults.remove(id)) return controlError(res, 404, `Fault rule ${id} not found`, requestId);
    return sendJson(res, 200, { faults: deps.faults.list() }, requestId);
  }
  if (path === '/emulator/stats') {
    if (method === 'GET') return sendJson(res, 200, { requests: Object.fromEntries(deps.stats) }, requestId);
    if (method === 'DELETE') {
      deps.stats.clear();
      return sendJson(res, 200, { requests: {} }, requestId);
    }
  }
  if (path === '/emulator/subscription') return subscriptionEndpoint(deps, req, res, body, requestId);
  if (path === '/emulator/reports') {
    if (method === 'GET') {
      const messageId = query.get('messageId') ?? undefined;
      const reports = deps.reports.list({ messageId, to: to === undefined ? undefined : destinationKey(to) });
      return sendJson(res, 200, { reports }, requestId);
    }
    if (method === 'DELETE') {
      deps.reports.clear();
      return sendJson(res, 200, { reports: [] }, requestId);
    }
  }
  controlError(res, 404, `Unknown emulator endpoint: ${method} ${path}`, requestId);
}

const NO_BODY = Symbol('no body');

/** The parsed JSON body, or NO_BODY after answering 413/400. */
function jsonBody(res: ServerResponse, body: Buffer | null, requestId: string): unknown {
  if (body === null) {
    controlError(res, 413, `Request body too large: the limit is ${MAX_BODY_BYTES} bytes`, requestId);
    return NO_BODY;
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    controlError(res, 400, `Malformed JSON in request body: ${(err as Error).message}`, requestId);
    return NO_BODY;
  }
}

/** `GET|PUT|DELETE /emulator/subscription`: where delivery reports are pushed (password never shown). */
function subscriptionEndpoint(
  deps: ControlDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer | null,
  requestId: string,
): void {
  const view = () => {
    const sub = deps.reports.subscription();
    return {
      subscription: sub
        ? { url: sub.url, ...(sub.basic && { basic: { username: sub.basic.username } }) }
        : null,
    };
  };
  if (req.method === 'GET') return sendJson(res, 200, view(), requestId);
  if (req.method === 'DELETE') {
    deps.reports.subscribe(undefined);
    return sendJson(res, 200, view(), requestId);
  }
  if (req.method === 'PUT') {
    const input = jsonBody(res, body, requestId);
    if (input === NO_BODY) return;
    try {
      deps.reports.subscribe(input);
    } catch (err) {
      if (err instanceof EmulatorConfigError) return controlError(res, 400, err.message, requestId);
      throw err;
    }
    return sendJson(res, 200, view(), requestId);
  }
  controlError(
    res,
    404,
    `Unknown emulator endpoint: ${req.method ?? 'GET'} /emulator/subscription`,
    requestId,
  );
}
