/**
 * Follows the emulator's inbox through its live events (`GET /emulator/events`), so the
 * benchmark learns of each PIN the moment it is delivered without scanning the inbox (which
 * grows to tens of thousands of messages here).
 */
import http from 'node:http';
import type { InboxMessage } from '../emulator';

/** A delivered PIN: its text and when the emulator delivered it (Unix ms). */
export interface Delivery {
  pin: string;
  pinId: string;
  deliveredAt: number;
}

/** Waits for PINs by destination. */
export interface InboxWatch {
  /** The next PIN for `to` (E.164 or e-mail) not yet taken; rejects after `timeoutMs`. */
  next(to: string, timeoutMs: number): Promise<Delivery>;
  close(): void;
}

const key = (to: string) => to.replace(/^\+/, '').toLowerCase();

/** Subscribes to the emulator at `url`; resolves once the stream is open. */
export function watchInbox(url: string): Promise<InboxWatch> {
  const arrived = new Map<string, Delivery[]>();
  const waiters = new Map<string, (d: Delivery) => void>();
  let closed = false;

  const deliver = (m: InboxMessage) => {
    const d: Delivery = { pin: m.pin, pinId: m.pinId, deliveredAt: Date.parse(m.sentAt) };
    const k = key(m.to);
    const waiter = waiters.get(k);
    if (waiter) {
      waiters.delete(k);
      waiter(d);
    } else {
      const list = arrived.get(k) ?? [];
      list.push(d);
      arrived.set(k, list);
    }
  };

  return new Promise((resolve, reject) => {
    const req = http.get(`${url}/emulator/events`, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET /emulator/events answered ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      res.on('close', () => {
        if (!closed)
          console.error('inbox-watch: the emulator closed the event stream; later PINs will time out');
      });
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!block.startsWith('event: message\n')) continue;
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (data) deliver(JSON.parse(data.slice(6)) as InboxMessage);
        }
      });
      resolve({
        next(to, timeoutMs) {
          const k = key(to);
          const queued = arrived.get(k);
          if (queued && queued.length > 0) {
            const d = queued.shift() as Delivery;
            if (queued.length === 0) arrived.delete(k);
            return Promise.resolve(d);
          }
          return new Promise<Delivery>((res2, rej2) => {
            const timer = setTimeout(() => {
              waiters.delete(k);
              rej2(new Error(`no PIN for ${to} within ${timeoutMs} ms`));
            }, timeoutMs);
            waiters.set(k, (d) => {
              clearTimeout(timer);
              res2(d);
            });
          });
        },
        close() {
          closed = true;
          req.destroy();
        },
      });
    });
    req.on('error', reject);
  });
}
