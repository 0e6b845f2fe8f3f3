/**
 * The emulator's state: applications, templates, PINs, limit windows and the phone inbox, with
 * optional persistence to a JSON file (debounced, written to a temp file and renamed).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { EmulatorConfigError } from './errors';
import { SlidingWindow } from './sliding-window';
import type { NcStatus } from './lookup-table';

/** An application's configuration with every default filled in. */
export interface ApplicationConfiguration {
  pinAttempts: number;
  allowMultiplePinVerifications: boolean;
  pinTimeToLive: string;
  verifyPinLimit: string;
  sendPinPerApplicationLimit: string;
  sendPinPerPhoneNumberLimit: string;
}

/** A 2FA application as stored and returned. */
export interface Application {
  applicationId: string;
  name: string;
  enabled: boolean;
  configuration: ApplicationConfiguration;
}

/** PIN alphabets. */
export type PinType = 'NUMERIC' | 'ALPHA' | 'HEX' | 'ALPHANUMERIC';

/** An SMS/voice or e-mail message template; `kind` says which. */
export interface Template {
  kind: 'SMS_VOICE' | 'EMAIL';
  applicationId: string;
  messageId: string;
  pinType: PinType;
  pinLength: number;
  messageText?: string;
  senderId?: string;
  language?: string;
  voiceName?: string;
  repeatDTMF?: string;
  speechRate?: number;
  regional?: Record<string, unknown>;
  emailTemplateId?: number;
  from?: string;
  landingPageId?: string;
}

/** Delivery channel of a PIN message. */
export type Channel = 'SMS' | 'VOICE' | 'EMAIL';

/** A PIN issued by a send. */
export interface Pin {
  pinId: string;
  applicationId: string;
  messageId: string;
  channel: Channel;
  /** Digits-only number, or the e-mail address. */
  to: string;
  pin: string;
  from?: string;
  placeholders?: Record<string, string>;
  createdAt: number;
  expiresAt: number;
  attemptsRemaining: number;
  /** Whether any message carrying this PIN was delivered. */
  sent: boolean;
  ncStatus?: NcStatus;
  verified: boolean;
  verifiedAt?: number;
  /** Set when verified with allowMultiplePinVerifications:false: no further verification. */
  consumed: boolean;
}

/** Where a tracked message stands (as its delivery reports tell it). */
export interface MessageDelivery {
  /** Status group of the latest report: PENDING until the outcome is known. */
  status: 'PENDING' | 'UNDELIVERABLE' | 'DELIVERED' | 'EXPIRED' | 'REJECTED';
  /** Infobip's status name, e.g. `DELIVERED_TO_HANDSET`. */
  statusName: string;
  /** Infobip's error name, e.g. `EC_ABSENT_SUBSCRIBER` (`NO_ERROR` when none). */
  errorName: string;
  /** The outcome the number's test suffix chose (see `delivery-table.ts`). */
  outcome: string;
  /** ISO time of the last change. */
  updatedAt: string;
}

/** One message in the phone inbox. */
export interface InboxMessage {
  id: string;
  channel: Channel;
  to: string;
  from: string;
  text: string;
  pin: string;
  pinId: string;
  applicationId: string;
  messageId: string;
  sentAt: string;
  /** The message's id in delivery reports (`externalMessageId` of the send); tracked sends only. */
  externalMessageId?: string;
  /** Delivery status of a tracked message, updated as its outcome plays out; absent when untracked. */
  delivery?: MessageDelivery;
}

interface PersistedState {
  version: 1;
  applications: Application[];
  templates: Template[];
  pins: Pin[];
  windows: Record<string, number[]>;
  inbox: InboxMessage[];
}

/** Most inbox messages kept; older ones are dropped. */
export const INBOX_LIMIT = 10_000;

/** In-memory state plus persistence. Mutators call `changed()`; persistence is debounced. */
export class Store {
  readonly applications = new Map<string, Application>();
  readonly templates = new Map<string, Template>();
  readonly pins = new Map<string, Pin>();
  readonly windows = new Map<string, SlidingWindow>();
  inbox: InboxMessage[] = [];

  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;

  constructor(
    private readonly dataFile: string | undefined,
    private readonly debounceMs = 25,
  ) {}

  /** Loads the data file if it exists; throws EmulatorConfigError if it is unreadable. */
  async load(): Promise<void> {
    if (!this.dataFile || !existsSync(this.dataFile)) return;
    let data: PersistedState;
    try {
      data = JSON.parse(await readFile(this.dataFile, 'utf8')) as PersistedState;
    } catch (err) {
      throw new EmulatorConfigError(
        `Cannot read emulator data file ${this.dataFile}: ${(err as Error).message}`,
      );
    }
    if (data?.version !== 1)
      throw new EmulatorConfigError(`Emulator data file ${this.dataFile} has an unknown format`);
    for (const a of data.applications ?? []) this.applications.set(a.applicationId, a);
    for (const t of data.templates ?? []) this.templates.set(t.messageId, t);
    for (const p of data.pins ?? []) this.pins.set(p.pinId, p);
    for (const [k, v] of Object.entries(data.windows ?? {})) this.windows.set(k, new SlidingWindow(v));
    this.inbox = data.inbox ?? [];
  }

  window(key: string): SlidingWindow {
    let w = this.windows.get(key);
    if (!w) {
      w = new SlidingWindow();
      this.windows.set(key, w);
    }
    return w;
  }

  addInbox(message: InboxMessage): void {
    this.inbox.push(message);
    if (this.inbox.length > INBOX_LIMIT) this.inbox.splice(0, this.inbox.length - INBOX_LIMIT);
  }

  /** Marks the state as changed: schedules a write when persisting. */
  changed(): void {
    if (!this.dataFile) return;
    this.dirty = true;
    if (this.timer || this.writing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.debounceMs);
  }

  /** Writes pending changes now (no-op without a data file). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.writing) await this.writing;
    if (!this.dataFile || !this.dirty) return;
    this.dirty = false;
    this.writing = this.write(this.dataFile).finally(() => {
      this.writing = undefined;
      if (this.dirty) this.changed();
    });
    await this.writing;
  }

  private async write(file: string): Promise<void> {
    const data: PersistedState = {
      version: 1,
      applications: [...this.applications.values()],
      templates: [...this.templates.values()],
      pins: [...this.pins.values()],
      windows: Object.fromEntries([...this.windows].map(([k, w]) => [k, w.toJSON()])),
      inbox: this.inbox,
    };
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(data));
      await rename(tmp, file);
    } catch (err) {
      // A failed write must not take the server down; the next change retries.
      this.dirty = true;
      process.emitWarning(`otpflow emulator: cannot write ${file}: ${(err as Error).message}`);
    }
  }
}
