/** 2FA applications and their SMS/voice and e-mail message templates. */
import { badRequest, notFound, tooManyRequests } from './errors';
import { ONE_DAY_MS, ONE_YEAR_MS, parseDuration, parseRate } from './durations';
import { Fields, bodyObject } from './validate';
import { newId, type ApiHandler, type EmulatorContext } from './context';
import type { Application, ApplicationConfiguration, PinType, Template } from './state';

/** Defaults Infobip fills into an application's configuration. */
export const DEFAULT_CONFIGURATION: Readonly<ApplicationConfiguration> = {
  pinAttempts: 10,
  allowMultiplePinVerifications: true,
  pinTimeToLive: '15m',
  verifyPinLimit: '1/3s',
  sendPinPerApplicationLimit: '10000/1d',
  sendPinPerPhoneNumberLimit: '3/1d',
};

/** Infobip's documented per-account management throttles (requests per 10 minutes). */
export const MANAGEMENT_LIMITS = { list: 50, create: 20, get: 100, update: 40 } as const;
const TEN_MINUTES = 600_000;

export const PIN_TYPES: readonly PinType[] = ['NUMERIC', 'ALPHA', 'HEX', 'ALPHANUMERIC'];
export const LANGUAGES = [
  'en',
  'es',
  'ca',
  'da',
  'nl',
  'fr',
  'de',
  'it',
  'ja',
  'ko',
  'no',
  'pl',
  'ru',
  'sv',
  'fi',
  'hr',
  'sl',
  'ro',
  'pt_pt',
  'pt_br',
  'zh_cn',
  'zh_tw',
] as const;

function managementLimit(ctx: EmulatorContext, op: keyof typeof MANAGEMENT_LIMITS): () => void {
  if (!ctx.managementLimits) return () => undefined;
  const window = ctx.store.window(`mgmt:${op}`);
  const now = ctx.now();
  if (window.count(now, TEN_MINUTES) >= MANAGEMENT_LIMITS[op]) {
    throw tooManyRequests(
      `Too many requests: ${op} application is limited to ${MANAGEMENT_LIMITS[op]}/10m per account`,
    );
  }
  return () => window.record(now);
}

function readApplication(body: unknown): Omit<Application, 'applicationId'> {
  const f = new Fields(bodyObject(body));
  const name = f.string('name', { required: true });
  const enabled = f.boolean('enabled') ?? true;
  const c = f.nested('configuration');
  const configuration = { ...DEFAULT_CONFIGURATION };
  if (c) {
    configuration.pinAttempts = c.integer('pinAttempts', { min: 1 }) ?? configuration.pinAttempts;
    configuration.allowMultiplePinVerifications =
      c.boolean('allowMultiplePinVerifications') ?? configuration.allowMultiplePinVerifications;
    const ttl = c.string('pinTimeToLive');
    if (ttl !== undefined) {
      const ms = parseDuration(ttl);
      if (ms === undefined || ms > ONE_YEAR_MS)
        c.add('pinTimeToLive', 'invalid duration: expected {length}{ms|s|m|h|d}, at most 1 year');
      else configuration.pinTimeToLive = ttl;
    }
    for (const key of [
      'verifyPinLimit',
      'sendPinPerApplicationLimit',
      'sendPinPerPhoneNumberLimit',
    ] as const) {
      const rate = c.string(key);
      if (rate === undefined) continue;
      const parsed = parseRate(rate);
      if (!parsed || (key === 'verifyPinLimit' && parsed.windowMs > ONE_DAY_MS)) {
        c.add(
          key,
          `invalid rate: expected {attempts}/{length}{ms|s|m|h|d}${key === 'verifyPinLimit' ? ', window at most 1 day' : ''}`,
        );
      } else configuration[key] = rate;
    }
  }
  f.check();
  return { name: name ?? '', enabled, configuration };
}

function applicationBody(a: Application): unknown {
  return { applicationId: a.applicationId, name: a.name, configuration: a.configuration, enabled: a.enabled };
}

/** The application or 404. */
export function findApplication(ctx: EmulatorContext, appId: string): Application {
  const app = ctx.store.applications.get(appId);
  if (!app) throw notFound(`Application ${appId} not found`);
  return app;
}

export const listApplications: ApiHandler = (ctx) => {
  managementLimit(ctx, 'list')();
  return { status: 200, body: [...ctx.store.applications.values()].map(applicationBody) };
};

export const createApplication: ApiHandler = (ctx, req) => {
  const record = managementLimit(ctx, 'create');
  const app: Application = { applicationId: newId(), ...readApplication(req.body) };
  record();
  ctx.store.applications.set(app.applicationId, app);
  ctx.store.changed();
  return { status: 201, body: applicationBody(app) };
};

export const getApplication: ApiHandler = (ctx, req) => {
  const record = managementLimit(ctx, 'get');
  const app = findApplication(ctx, req.params[0] ?? '');
  record();
  return { status: 200, body: applicationBody(app) };
};

export const updateApplication: ApiHandler = (ctx, req) => {
  const record = managementLimit(ctx, 'update');
  const app = findApplication(ctx, req.params[0] ?? '');
  const next = readApplication(req.body);
  record();
  Object.assign(app, next);
  ctx.store.changed();
  return { status: 200, body: applicationBody(app) };
};

// ---- templates ----

function findTemplate(ctx: EmulatorContext, appId: string, msgId: string, kind?: Template['kind']): Template {
  findApplication(ctx, appId);
  const t = ctx.store.templates.get(msgId);
  if (!t || t.applicationId !== appId || (kind && t.kind !== kind)) {
    const what =
      kind === 'EMAIL' ? 'E-mail message template' : kind ? 'SMS/voice message template' : 'Message template';
    throw notFound(`${what} ${msgId} not found in application ${appId}`);
  }
  return t;
}

/** Applies the fields present in `body` to `base` (all of them on create); validates the result. */
function readSmsTemplate(body: unknown, base: Partial<Template>, creating: boolean): Partial<Template> {
  const f = new Fields(bodyObject(body));
  const out: Partial<Template> = { ...base };
  const messageText = f.string('messageText', { required: creating });
  if (messageText !== undefined) {
    if (!messageText.includes('{{pin}}')) f.add('messageText', 'must contain the {{pin}} placeholder');
    out.messageText = messageText;
  }
  out.pinType = f.oneOf('pinType', PIN_TYPES, { required: creating }) ?? out.pinType;
  out.pinLength = f.integer('pinLength', { min: 4, max: 10 }) ?? out.pinLength ?? 4;
  out.language = f.oneOf('language', LANGUAGES) ?? out.language ?? 'en';
  for (const key of ['senderId', 'voiceName', 'repeatDTMF'] as const) {
    const v = f.string(key);
    if (v !== undefined) out[key] = v;
  }
  const rate = f.number('speechRate', { min: 0.5, max: 2 });
  if (rate !== undefined) out.speechRate = rate;
  const regional = f.nested('regional');
  const dlt = regional?.nested('indiaDlt');
  if (regional && dlt) {
    const indiaDlt: Record<string, string> = {};
    const principal = dlt.string('principalEntityId', { required: true, maxLength: 30 });
    if (principal !== undefined) indiaDlt.principalEntityId = principal;
    const content = dlt.string('contentTemplateId', { maxLength: 30 });
    if (content !== undefined) indiaDlt.contentTemplateId = content;
    const tm = dlt.string('teleMarketerId', { maxLength: 255 });
    if (tm !== undefined) indiaDlt.teleMarketerId = tm;
    out.regional = { indiaDlt };
  }
  f.check();
  return out;
}

function readEmailTemplate(body: unknown, base: Partial<Template>, creating: boolean): Partial<Template> {
  const f = new Fields(bodyObject(body));
  const out: Partial<Template> = { ...base };
  out.emailTemplateId = f.integer('emailTemplateId', { required: creating, min: 1 }) ?? out.emailTemplateId;
  const from = f.string('from');
  if (from !== undefined) out.from = from;
  const landing = f.string('landingPageId');
  if (landing !== undefined) out.landingPageId = landing;
  out.pinType = f.oneOf('pinType', PIN_TYPES) ?? out.pinType ?? 'NUMERIC';
  out.pinLength = f.integer('pinLength', { min: 4, max: 10 }) ?? out.pinLength ?? 4;
  f.check();
  return out;
}

/** A template as the API shows it; `forGet` adds write-only fields the `Message` schema lists. */
export function templateBody(t: Template, forGet = false): unknown {
  if (t.kind === 'EMAIL') {
    return {
      applicationId: t.applicationId,
      messageId: t.messageId,
      emailTemplateId: t.emailTemplateId,
      from: t.from,
      landingPageId: t.landingPageId,
      pinType: t.pinType,
      pinLength: t.pinLength,
    };
  }
  return {
    pinPlaceholder: '{{pin}}',
    messageText: t.messageText,
    pinLength: t.pinLength,
    pinType: t.pinType,
    language: t.language,
    senderId: t.senderId,
    repeatDTMF: t.repeatDTMF,
    speechRate: t.speechRate,
    voiceName: forGet ? t.voiceName : undefined,
    regional: t.regional,
    applicationId: t.applicationId,
    messageId: t.messageId,
  };
}

export const listTemplates: ApiHandler = (ctx, req) => {
  const appId = req.params[0] ?? '';
  findApplication(ctx, appId);
  const list = [...ctx.store.templates.values()].filter((t) => t.applicationId === appId);
  return { status: 200, body: list.map((t) => templateBody(t, true)) };
};

export const getTemplate: ApiHandler = (ctx, req) => ({
  status: 200,
  body: templateBody(findTemplate(ctx, req.params[0] ?? '', req.params[1] ?? ''), true),
});

export const createSmsTemplate: ApiHandler = (ctx, req) => {
  const appId = req.params[0] ?? '';
  findApplication(ctx, appId);
  const fields = readSmsTemplate(req.body, {}, true);
  const t = { ...fields, kind: 'SMS_VOICE', applicationId: appId, messageId: newId() } as Template;
  ctx.store.templates.set(t.messageId, t);
  ctx.store.changed();
  return { status: 200, body: templateBody(t) };
};

export const updateSmsTemplate: ApiHandler = (ctx, req) => {
  const t = findTemplate(ctx, req.params[0] ?? '', req.params[1] ?? '', 'SMS_VOICE');
  Object.assign(t, readSmsTemplate(req.body, t, false));
  ctx.store.changed();
  return { status: 200, body: templateBody(t) };
};

export const createEmailTemplate: ApiHandler = (ctx, req) => {
  const appId = req.params[0] ?? '';
  findApplication(ctx, appId);
  const fields = readEmailTemplate(req.body, {}, true);
  const t = { ...fields, kind: 'EMAIL', applicationId: appId, messageId: newId() } as Template;
  ctx.store.templates.set(t.messageId, t);
  ctx.store.changed();
  return { status: 200, body: templateBody(t) };
};

export const updateEmailTemplate: ApiHandler = (ctx, req) => {
  const t = findTemplate(ctx, req.params[0] ?? '', req.params[1] ?? '', 'EMAIL');
  Object.assign(t, readEmailTemplate(req.body, t, false));
  ctx.store.changed();
  return { status: 200, body: templateBody(t) };
};

/** 400 unless the application is enabled. */
export function requireEnabled(app: Application): void {
  if (!app.enabled) throw badRequest(`Application ${app.applicationId} is disabled`);
}
