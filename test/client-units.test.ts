/** Pure parts of the client library: destination identity, start validation, list queries, CLI output. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../cli/exit-codes';
import { describeError, formatCheck } from '../cli/output';
import {
  ServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  CheckUnavailableError,
  InvalidInputError,
  isLibraryError,
  SendFailedError,
  TemporalUnreachableError,
} from '../client/errors';
import { startRefusal, type StartOutcome } from '../client/start-outcome';
import { problemFor, PROBLEM_BASE } from '../api/problems';
import { REASONS } from '../domain/reasons';
import { RESEND_FAILED } from '../domain/failures';
import type { VerificationStatus } from '../domain/types';
import {
  attachedAnswer,
  startAnswerMissing,
  startMayRetry,
  translateTemporalError,
} from '../client/temporal-errors';
import { hashDestination, identifyDestination, verificationId } from '../client/identity';
import { listQuery } from '../client/list';
import { MAX_VERIFICATION_ID_LENGTH } from '../domain/constants';
import { prepareStart } from '../client/start-input';
import { testApplication } from './kits/client';

const KEY = Buffer.alloc(32, 3);

describe('destination identity', () => {
  it('hashes the normalised destination with the key, 32 hex characters', () => {
    const who = identifyDestination('+41793026727', 'SMS', KEY);
    const expected = createHmac('sha256', KEY).update('+41793026727').digest('hex').slice(0, 32);
    expect(who).toMatchObject({ normalised: '+41793026727', hash: expected, masked: '+41•••••6727' });
    expect(hashDestination('+41793026727', Buffer.alloc(32, 4))).not.toBe(expected);
    expect(verificationId('login', expected)).toBe(`otp-login-${expected}`);
  });

  it('keeps every ID within the one length limit: the longest derived ID, the longest caller ID', () => {
    const longest = verificationId('a'.repeat(64), hashDestination('+41793026727', KEY));
    expect(longest.length).toBeLessThanOrEqual(MAX_VERIFICATION_ID_LENGTH);
    const app = testApplication('login');
    const ok = 'c'.repeat(MAX_VERIFICATION_ID_LENGTH);
    expect(prepareStart([app], KEY, { destination: '+41793026727', id: ok }).id).toBe(ok);
    expect(() => prepareStart([app], KEY, { destination: '+41793026727', id: `${ok}c` })).toThrow(
      expect.objectContaining({ field: 'id' }),
    );
  });

  it('lower-cases e-mail addresses so one person gets one ID', () => {
    const a = identifyDestination('Ana@Example.com', 'EMAIL', KEY);
    const b = identifyDestination('ana@example.com', 'EMAIL', KEY);
    expect(a.hash).toBe(b.hash);
    expect(a.masked).toBe('a•••@example.com');
  });

  it('rejects what libphonenumber does not accept, naming the field', () => {
    for (const bad of ['+41 79 30', '+999123456789', '079 302 67 27', '+41 79 302 67 27 ext', '', 42]) {
      expect(() => identifyDestination(bad, 'SMS', KEY)).toThrow(InvalidInputError);
    }
  });
});

describe('start validation', () => {
  const apps = [
    testApplication(
      'login',
      { allowedCountries: ['CH'] },
      { webhook: { url: 'https://hooks.example/otp', secretEnv: 'HOOK_SECRET' } },
    ),
  ];

  it('builds the workflow input from the application: policy with its pin, webhook, default language', () => {
    const { id, input } = prepareStart(apps, KEY, { destination: '+41793026727' });
    expect(id).toMatch(/^otp-login-[0-9a-f]{32}$/);
    expect(input).toMatchObject({
      application: 'login',
      channel: 'SMS',
      language: 'en',
      destinationMasked: '+41•••••6727',
      policy: { pin: { type: 'NUMERIC', length: 6 }, allowedCountries: ['CH'] },
      webhook: { url: 'https://hooks.example/otp', secretRef: 'HOOK_SECRET' },
    });
  });

  it('defaults to EMAIL for an address and uses a requested channel and language', () => {
    const mail = testApplication(
      'mail',
      {},
      {
        templates: {
          sms: { en: { messageText: '{{pin}}' }, de: { messageText: '{{pin}}' } },
          email: { en: { emailTemplateId: 1, from: 'a@b.ch' } },
        },
      },
    );
    expect(prepareStart([mail], KEY, { destination: 'Ana@Example.com' }).input).toMatchObject({
      channel: 'EMAIL',
      destination: 'ana@example.com',
    });
    expect(
      prepareStart([mail], KEY, { destination: '+41793026727', channel: 'sms', language: 'de' }).input,
    ).toMatchObject({ channel: 'SMS', language: 'de' });
    expect(() => prepareStart([mail], KEY, { destination: '+41793026727', channel: 'voice' })).toThrow(
      /channel: .* no VOICE template/,
    );
  });

  it('refuses a country the application does not allow and a disabled application', () => {
    expect(() => prepareStart(apps, KEY, { to: '+4915112345678' })).toThrow(/^to: numbers from DE/);
    expect(() => prepareStart(apps, KEY, { destination: '+4915112345678' })).toThrow(/^to: numbers from DE/);
    const off = [{ ...testApplication('off'), enabled: false }];
    expect(() => prepareStart(off, KEY, { destination: '+41793026727', application: 'off' })).toThrow(
      /disabled/,
    );
  });
});

describe('language fallback', () => {
  const app = testApplication(
    'multi',
    {},
    {
      defaultLanguage: 'en',
      templates: {
        sms: { en: { messageText: '{{pin}}' }, de: { messageText: '{{pin}}' } },
        voice: { de: { messageText: '{{pin}}' } },
      },
    },
  );

  it('uses the application default for a language without a template, and says which was asked', () => {
    const fr = prepareStart([app], KEY, { to: '+41793026727', language: 'fr' });
    expect(fr.input.language).toBe('en');
    expect(fr.requestedLanguage).toBe('fr');
    const de = prepareStart([app], KEY, { to: '+41793026727', language: 'de' });
    expect(de.input.language).toBe('de');
    expect(de.requestedLanguage).toBeUndefined();
    expect(prepareStart([app], KEY, { to: '+41793026727' }).requestedLanguage).toBeUndefined();
  });

  it('still refuses a malformed language, and a channel whose templates lack the default language', () => {
    expect(() => prepareStart([app], KEY, { to: '+41793026727', language: 'not a language' })).toThrow(
      /^language: must be a language code/,
    );
    expect(() => prepareStart([app], KEY, { to: '+41793026727', channel: 'voice', language: 'fr' })).toThrow(
      /^language: no VOICE template in "fr" \(have: de\)/,
    );
  });
});

describe('list queries', () => {
  it('filters by validated values only', () => {
    expect(
      listQuery({ status: 'pending', application: 'login' }, ['login', 'b'], 'verificationWorkflow'),
    ).toBe('WorkflowType="verificationWorkflow" AND OtpApplication="login" AND OtpStatus="PENDING"');
    expect(listQuery({}, ['login', 'b'], 'wf')).toBe(
      'WorkflowType="wf" AND OtpApplication IN ("login", "b")',
    );
    expect(() => listQuery({ application: 'x" OR 1=1' }, ['login'], 'wf')).toThrow(InvalidInputError);
    expect(() => listQuery({ status: 'PENDING" OR "a"="a' }, ['login'], 'wf')).toThrow(InvalidInputError);
  });
});

describe('Temporal error translation', () => {
  const updateFailure = (type: string, ...details: unknown[]) =>
    new WorkflowUpdateFailedError(
      'update failed',
      ApplicationFailure.create({ message: 'code: must be 6 characters long', type, details }),
    );

  it('maps update rejections to typed errors, a not-yet-sent flow to unavailable', () => {
    expect(translateTemporalError(updateFailure('NotPending', 'EXPIRED'), 'v')).toMatchObject({
      code: 'OTP_ALREADY_FINISHED',
      status: 'EXPIRED',
    });
    expect(translateTemporalError(updateFailure('NotPending', 'SENDING'), 'v')).toBeInstanceOf(
      CheckUnavailableError,
    );
    expect(
      translateTemporalError(updateFailure('InvalidInput', 'code', 'must be 6 characters long'), 'v'),
    ).toMatchObject({
      field: 'code',
      reason: 'must be 6 characters long',
    });
    expect(translateTemporalError(updateFailure('CheckUnavailable'), 'v')).toBeInstanceOf(
      CheckUnavailableError,
    );
  });

  it('maps gRPC UNAVAILABLE and DEADLINE_EXCEEDED to unreachable, leaves other errors alone', () => {
    const grpc = (code: number) =>
      new ServiceError('Failed to describe workflow', { cause: Object.assign(new Error('x'), { code }) });
    expect(translateTemporalError(grpc(14), 'v')).toBeInstanceOf(TemporalUnreachableError);
    expect(translateTemporalError(grpc(4), 'v')).toBeInstanceOf(TemporalUnreachableError);
    const other = grpc(7);
    expect(translateTemporalError(other, 'v')).toBe(other);
  });
});

describe('start failures', () => {
  const updateFailure = (type: string | undefined, message: string, ...details: unknown[]) =>
    new WorkflowUpdateFailedError('update failed', ApplicationFailure.create({ message, type, details }));
  const grpc = (code: number) =>
    new ServiceError('Update-With-Start failed', { cause: Object.assign(new Error('x'), { code }) });

  it('reads the answer of a start that attached from its rejection, and nothing else', () => {
    const answer = { status: 'PENDING', channel: 'SMS', destinationMasked: '+41•••••6727', created: false };
    expect(attachedAnswer(updateFailure('Attached', 'attached', answer))).toEqual(answer);
    expect(attachedAnswer(updateFailure('Closing', 'closing', 'VERIFIED'))).toBeUndefined();
    expect(attachedAnswer(grpc(8))).toBeUndefined();
  });

  it('starts again for a closing flow, a full flow, an aborted or raced Update; never for a refusal', () => {
    expect(startMayRetry(updateFailure('Closing', 'closing', 'VERIFIED'))).toBe(true);
    expect(startMayRetry(grpc(8))).toBe(true);
    expect(startMayRetry(grpc(14))).toBe(true);
    expect(
      startMayRetry(new WorkflowNotFoundError('workflow execution already completed', 'v', undefined)),
    ).toBe(true);
    expect(startMayRetry(updateFailure('InvalidInput', 'id: is already used', 'id'))).toBe(false);
    expect(startMayRetry(grpc(7))).toBe(false);
  });

  it('tells a start that got no answer (it may have started the flow) from one that was refused', () => {
    expect(startAnswerMissing(new WorkflowUpdateRPCTimeoutOrCancelledError('deadline'))).toBe(true);
    expect(startAnswerMissing(updateFailure(undefined, 'No registered handler for update: start'))).toBe(
      true,
    );
    expect(startAnswerMissing(grpc(8))).toBe(true);
    const refused = updateFailure('InvalidInput', 'id: is already used', 'id', 'is already used');
    expect(startAnswerMissing(refused)).toBe(false);
    expect(translateTemporalError(refused, 'v')).toMatchObject({
      field: 'id',
      reason: 'is already used',
    });
  });
});

describe('CLI check output', () => {
  it('maps outcomes to lines and exit codes', () => {
    expect(formatCheck('x', { status: 'VERIFIED', verified: true, attemptsRemaining: 2 })).toEqual([
      '✔ Verified: x',
      ExitCode.OK,
    ]);
    expect(formatCheck('x', { status: 'PENDING', verified: false, attemptsRemaining: 1 })).toEqual([
      '✘ Wrong code: 1 attempt left.',
      1,
    ]);
    expect(formatCheck('x', { status: 'LOCKED', verified: false, attemptsRemaining: 0 })[1]).toBe(
      ExitCode.FAILED,
    );
  });
});

describe('starts that sent no PIN (#19)', () => {
  const NOW = Date.parse('2026-01-01T00:00:00Z');
  const outcome = (status: VerificationStatus, more: Partial<StartOutcome> = {}): StartOutcome => ({
    id: 'otp-login-x',
    status,
    ...more,
  });

  it('is no error while the PIN is going out or went out', () => {
    for (const status of ['LOOKUP', 'SENDING', 'PENDING'] as const) {
      expect(startRefusal(outcome(status), NOW)).toBeUndefined();
    }
  });

  it.each([
    ['RATE_LIMITED', { retryAt: '2026-01-01T00:01:00Z' }, 429, 'rate-limited', ExitCode.FAILED],
    ['UNDELIVERABLE', { reasonCode: 'NO_SMS' }, 422, 'undeliverable', ExitCode.FAILED],
    ['FAILED', { reasonCode: 'INFOBIP_REFUSED' }, 502, 'send-failed', ExitCode.FAILED],
    ['FAILED', { reasonCode: 'INFOBIP_UNAVAILABLE' }, 503, 'send-unavailable', ExitCode.UNREACHABLE],
    ['FAILED', { reasonCode: 'DESTINATION_HASH_MISMATCH' }, 500, 'misconfigured', ExitCode.CONFIG],
  ] as const)('%s %o: HTTP %i %s, exit %i, no Infobip words', (status, more, http, type, exit) => {
    const err = startRefusal(outcome(status, { ...more, reason: 'POST /2fa/2/pin answered 429 (x)' }), NOW);
    expect(isLibraryError(err)).toBe(true);
    const body = problemFor(err);
    expect(body).toMatchObject({ status: http, type: PROBLEM_BASE + type });
    expect(JSON.stringify(body)).not.toMatch(/\/2fa\/|answered/);
    expect(describeError(err).exit).toBe(exit);
    if (status === 'RATE_LIMITED') expect(body).toMatchObject({ retryAfterSeconds: 60, reasonCode: 'SEND_LIMIT' });
  });

  it('gives endings recorded before reason codes a code and its sentence, never the stored words', () => {
    const err = startRefusal(outcome('UNDELIVERABLE', { reason: 'number lookup: EC_UNKNOWN_SUBSCRIBER' }), NOW);
    expect(err).toMatchObject({ reasonCode: 'NOT_DELIVERED', message: REASONS.NOT_DELIVERED });
  });

  it('turns a resend Infobip refused into SendFailedError with the reason code, not a check error', () => {
    const failure = ApplicationFailure.create({
      message: 'the PIN could not be sent again',
      type: RESEND_FAILED,
      nonRetryable: true,
      details: ['INFOBIP_REFUSED'],
    });
    const err = translateTemporalError(
      new WorkflowUpdateFailedError('update failed', failure),
      'otp-login-x',
    );
    expect(err).toBeInstanceOf(SendFailedError);
    expect(err).toMatchObject({ reasonCode: 'INFOBIP_REFUSED', retryable: false });
  });
});
