/**
 * `deliverWebhook`: a signed POST of a verification's outcome to the application's URL.
 *
 * Signature header `X-Otpflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
 * with the secret named by `secretRef`; receivers recompute it over the raw body and reject
 * old timestamps. `X-Otpflow-Delivery` is the same on every retry of one delivery, for
 * de-duplication. 2xx is delivered; 408, 429 and 5xx and network failures are retried;
 * other 4xx answers are final (`WebhookRejected`).
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Agent, type Dispatcher } from 'undici';
import { maskText } from '../domain/destination';
import { FailureTypes, WebhookFailureTypes } from '../domain/failures';
import { parseRetryAfter, transportError } from '../infobip/transport';
import type { WebhookInput, WebhookResult } from './types';
import { permanent, toTemporalFailure } from './failures';
// The signature scheme lives with its verifier, in the client library (README: webhooks).
import { SIGNATURE_HEADER, signWebhook } from '../client/webhook';

export { SIGNATURE_HEADER, signWebhook };

/** Keys never sent in a webhook body, at any depth. */
const FORBIDDEN_KEYS = new Set(['pin', 'code', 'otp', 'destination', 'msisdn']);

/** What `deliverWebhook` needs. */
export interface WebhookDeps {
  /** Secrets by reference (`secretRef`, the environment variable name). */
  secrets: Record<string, string>;
  dispatcher: Dispatcher;
  /** Milliseconds for the receiver's answer. */
  timeoutMs: number;
}

function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !FORBIDDEN_KEYS.has(k.toLowerCase()))
      .map(([k, v]) => [k, scrub(v)]),
  );
}

/** A dispatcher for webhooks when the caller brings none. */
export function defaultWebhookDispatcher(): Dispatcher {
  return new Agent({ connect: { timeout: 5_000 }, keepAliveTimeout: 4_000 });
}

/** Builds `deliverWebhook`. */
export function makeDeliverWebhook(deps: WebhookDeps): (input: WebhookInput) => Promise<WebhookResult> {
  return async (input) => {
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw permanent(FailureTypes.NOT_CONFIGURED, `webhook URL of ${input.application} is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw permanent(FailureTypes.NOT_CONFIGURED, `webhook URL of ${input.application} must be http(s)`);
    }
    const secret = input.secretRef === undefined ? undefined : deps.secrets[input.secretRef];
    if (input.secretRef !== undefined && !secret) {
      throw permanent(FailureTypes.NOT_CONFIGURED, `webhook secret ${input.secretRef} is not set`);
    }
    const ctx = Context.current();
    const body = JSON.stringify(scrub(input.body));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'otpflow-webhook',
      'x-otpflow-application': input.application,
      'x-otpflow-delivery': `${ctx.info.workflowExecution?.workflowId ?? 'none'}/${ctx.info.activityId}`,
    };
    if (secret) headers[SIGNATURE_HEADER] = signWebhook(secret, Math.floor(Date.now() / 1000), body);
    const call = `POST ${url.origin}${url.pathname}`;
    let res: Dispatcher.ResponseData;
    try {
      res = await deps.dispatcher.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers,
        body,
        signal: ctx.cancellationSignal,
        headersTimeout: deps.timeoutMs,
        bodyTimeout: deps.timeoutMs,
      });
      await res.body.dump();
    } catch (err) {
      const mapped = toTemporalFailure(transportError(call, err, ctx.cancellationSignal));
      if (mapped instanceof ApplicationFailure) {
        throw ApplicationFailure.create({
          message: mapped.message,
          type: WebhookFailureTypes.NETWORK,
          nonRetryable: false,
        });
      }
      throw mapped;
    }
    const status = res.statusCode;
    if (status >= 200 && status < 300) return { httpStatus: status };
    const message = maskText(`${call} answered ${status}`);
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfter = parseRetryAfter(headerOf(res.headers['retry-after']));
      throw ApplicationFailure.create({
        message,
        type: WebhookFailureTypes.UNAVAILABLE,
        nonRetryable: false,
        details: [{ httpStatus: status }],
        nextRetryDelay: retryAfter === undefined ? undefined : Math.max(retryAfter, 1),
      });
    }
    throw ApplicationFailure.create({
      message,
      type: WebhookFailureTypes.REJECTED,
      nonRetryable: true,
      details: [{ httpStatus: status }],
    });
  };
}

function headerOf(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
