/** What request handlers share: the store, the clock and the emulator's settings. */
import { randomBytes } from 'node:crypto';
import type { Store, InboxMessage } from './state';
import type { LookupOutcome } from './lookup-table';

/** Dependencies of every handler. */
export interface EmulatorContext {
  store: Store;
  /** Current time in Unix milliseconds (injectable for tests). */
  now(): number;
  lookupTable?: Readonly<Record<string, LookupOutcome>>;
  /** Whether Infobip's per-account throttles on application management apply. */
  managementLimits: boolean;
  /**
   * Records a delivered message in the inbox and tells live viewers; a `tracked` SMS or voice
   * message (with its `externalMessageId`) then gets its delivery outcome and reports.
   */
  deliver(message: InboxMessage, tracked?: boolean): void;
}

/** A routed Infobip API request. */
export interface ApiRequest {
  /** Path parameters in template order (`appId`, `msgId`, `pinId`). */
  params: readonly string[];
  query: URLSearchParams;
  /** Parsed JSON body; undefined when the body was empty. */
  body: unknown;
}

/** A successful answer: status and JSON body. */
export interface ApiReply {
  status: number;
  body: unknown;
}

/** A handler answers or throws `InfobipApiError`; it must not change state before it can no longer fail. */
export type ApiHandler = (ctx: EmulatorContext, req: ApiRequest) => ApiReply;

/** A new opaque identifier in Infobip's style: 32 upper-case hex characters. */
export function newId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}
