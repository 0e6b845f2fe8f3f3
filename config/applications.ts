/**
 * The applications file: JSON-schema validation (ajv) plus the checks a schema cannot
 * express, each problem named by its field path (`applications[0].policy.ttlSeconds`).
 */
import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject } from 'ajv';
import type { ApplicationDeclaration } from './types';
import type { ConfigProblem } from './errors';
import { infobipDurationMs, infobipRate, ONE_DAY_MS, ONE_YEAR_MS } from './infobip-durations';
import { projectFile } from './paths';
import { resolveGuardPolicy } from '../domain/guard-policy';
import { isPhoneCountry } from '../domain/destination';

type ValidateFn = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
let compiled: ValidateFn | undefined;

function schemaValidator(): ValidateFn {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(projectFile('otpflow.config.schema.json'), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
    compiled = ajv.compile(schema) as ValidateFn;
  }
  return compiled;
}

/** `/applications/0/policy/ttlSeconds` → `applications[0].policy.ttlSeconds`. */
export function fieldPath(pointer: string, child?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  let out = '';
  for (const part of parts) {
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out === '' ? '(file)' : out;
}

function describeAjvError(e: ErrorObject): ConfigProblem {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: fieldPath(e.instancePath, String(p.missingProperty)), message: 'is required' };
    case 'additionalProperties':
      return {
        path: fieldPath(e.instancePath, String(p.additionalProperty)),
        message: 'is not a known field',
      };
    case 'minimum':
      return { path: fieldPath(e.instancePath), message: `must be ≥ ${String(p.limit)}` };
    case 'maximum':
      return { path: fieldPath(e.instancePath), message: `must be ≤ ${String(p.limit)}` };
    case 'type':
      return { path: fieldPath(e.instancePath), message: `must be ${String(p.type)}` };
    case 'enum':
      return {
        path: fieldPath(e.instancePath),
        message: `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`,
      };
    case 'pattern':
      if (e.schemaPath.includes('/definitions/duration/'))
        return {
          path: fieldPath(e.instancePath),
          message: 'must be an Infobip duration such as 15m (units ms, s, m, h, d)',
        };
      if (e.schemaPath.includes('/definitions/rate/'))
        return {
          path: fieldPath(e.instancePath),
          message: 'must be an Infobip rate such as 3/1d (attempts/window)',
        };
      return { path: fieldPath(e.instancePath), message: `must match ${String(p.pattern)}` };
    case 'propertyNames':
      return {
        path: fieldPath(e.instancePath, String(p.propertyName)),
        message: 'is not a language code such as en or pt-BR',
      };
    default:
      return { path: fieldPath(e.instancePath), message: e.message ?? e.keyword };
  }
}

/** Parsed file content: the applications, or every problem found. */
export type ApplicationsResult =
  { ok: true; applications: ApplicationDeclaration[] } | { ok: false; problems: ConfigProblem[] };

/** Validates parsed JSON of an applications file (schema, then semantics). Fills schema defaults in place. */
export function validateApplications(data: unknown): ApplicationsResult {
  const validate = schemaValidator();
  if (!validate(data)) {
    // propertyNames errors come with a generic twin at the parent; keep the precise ones.
    const errors = (validate.errors ?? []).filter(
      (e) => !(e.keyword === 'pattern' && e.propertyName !== undefined),
    );
    const seen = new Set<string>();
    const problems = errors.map(describeAjvError).filter((p) => {
      const k = `${p.path}|${p.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    return { ok: false, problems };
  }
  const applications = (data as { applications: ApplicationDeclaration[] }).applications;
  const problems = applications.flatMap((app, i) => semanticProblems(app, i, applications));
  return problems.length ? { ok: false, problems } : { ok: true, applications };
}

const CHANNEL_KEY = { SMS: 'sms', VOICE: 'voice', EMAIL: 'email' } as const;

function semanticProblems(
  app: ApplicationDeclaration,
  i: number,
  all: ApplicationDeclaration[],
): ConfigProblem[] {
  const at = (field: string) => `applications[${i}].${field}`;
  const problems: ConfigProblem[] = [];
  const add = (field: string, message: string) => problems.push({ path: at(field), message });

  const first = all.findIndex((a) => a.name === app.name);
  if (first !== i) add('name', `duplicate of applications[${first}].name ("${app.name}")`);

  for (const kind of ['sms', 'voice'] as const) {
    for (const [lang, t] of Object.entries(app.templates[kind] ?? {})) {
      if (!t.messageText.includes('{{pin}}'))
        add(`templates.${kind}.${lang}.messageText`, 'must contain {{pin}}');
    }
  }
  for (const kind of ['sms', 'voice', 'email'] as const) {
    const byLang = app.templates[kind];
    if (byLang && !(app.defaultLanguage in byLang)) {
      add(`templates.${kind}`, `has no template in defaultLanguage "${app.defaultLanguage}"`);
    }
  }
  app.policy.fallback.forEach((step, j) => {
    const key = CHANNEL_KEY[step.channel];
    if (!app.templates[key])
      add(`policy.fallback[${j}].channel`, `${step.channel} has no templates (declare templates.${key})`);
    if (step.afterSeconds >= app.policy.ttlSeconds)
      add(
        `policy.fallback[${j}].afterSeconds`,
        `must be < policy.ttlSeconds (${app.policy.ttlSeconds}) or it never fires`,
      );
  });
  if (app.defaultCountry !== undefined) {
    const allowed = app.policy.allowedCountries;
    if (!isPhoneCountry(app.defaultCountry))
      add('defaultCountry', `"${app.defaultCountry}" is not a country with phone numbers`);
    else if (allowed.length > 0 && !allowed.includes(app.defaultCountry))
      add('defaultCountry', `must be one of policy.allowedCountries (${allowed.join(', ')})`);
  }
  if (app.policy.voiceForLandlines && !app.templates.voice)
    add('policy.voiceForLandlines', 'needs voice templates (declare templates.voice or set it to false)');

  problems.push(...guardProblems(app, at));

  const ib = app.infobip;
  if (ib.pinAttempts < app.policy.maxAttempts)
    add('infobip.pinAttempts', `must be ≥ policy.maxAttempts (${app.policy.maxAttempts})`);
  const ttlMs = infobipDurationMs(ib.pinTimeToLive);
  if (ttlMs === undefined) add('infobip.pinTimeToLive', 'must be a positive Infobip duration such as 15m');
  else if (ttlMs > ONE_YEAR_MS) add('infobip.pinTimeToLive', 'must be at most 1 year');
  else if (ttlMs < app.policy.ttlSeconds * 1000)
    add('infobip.pinTimeToLive', `must be ≥ policy.ttlSeconds (${app.policy.ttlSeconds}s)`);
  for (const field of [
    'verifyPinLimit',
    'sendPinPerApplicationLimit',
    'sendPinPerPhoneNumberLimit',
  ] as const) {
    const rate = infobipRate(ib[field]);
    if (!rate) add(`infobip.${field}`, 'must be a rate with attempts and window > 0, such as 3/1d');
    else if (field === 'verifyPinLimit' && rate.windowMs > ONE_DAY_MS)
      add(`infobip.${field}`, 'window must be at most 1 day');
  }
  return problems;
}

/** What the schema cannot say about an application's guard. */
function guardProblems(app: ApplicationDeclaration, at: (field: string) => string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (field: string, message: string) => problems.push({ path: at(`guard.${field}`), message });
  const { lockout, breaker } = resolveGuardPolicy(app.guard);
  if (lockout.maxSeconds < lockout.seconds)
    add('lockout.maxSeconds', `must be ≥ guard.lockout.seconds (${lockout.seconds})`);
  if (breaker.verifyGraceSeconds >= breaker.windowSeconds)
    add(
      'breaker.verifyGraceSeconds',
      `must be < guard.breaker.windowSeconds (${breaker.windowSeconds}) or nothing is ever judged`,
    );
  const shortest = Math.min(breaker.windowSeconds, breaker.spikeWindowSeconds);
  if (breaker.bucketSeconds > shortest)
    add('breaker.bucketSeconds', `must be ≤ the breaker's windows (${shortest} s)`);
  return problems;
}

/** Reads and validates an applications file; problems name the file's fields. */
export function readApplicationsFile(file: string): ApplicationsResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return {
      ok: false,
      problems: [{ path: 'OTPFLOW_CONFIG', message: `cannot read ${file}: ${(err as Error).message}` }],
    };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      problems: [{ path: '(file)', message: `is not valid JSON: ${(err as Error).message}` }],
    };
  }
  return validateApplications(data);
}
