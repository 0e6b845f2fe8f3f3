/**
 * `OtpClient`: the typed library backends use to run verifications. It validates input before
 * anything starts, addresses verifications by workflow ID, and turns Temporal's errors into
 * the typed errors of `errors.ts`.
 *
 * Check semantics: `check()` answers the outcome of *this* check — `VERIFIED`, a wrong code
 * (`PENDING` with fewer attempts), `LOCKED` for the wrong code that used the last attempt, or
 * `EXPIRED` when the code raced the expiry. A check that finds the verification already ended
 * — sent after it ended, or queued behind the concurrent check that ended it — is not a check:
 * it throws `VerificationFinishedError` carrying the final status (so a finished `VERIFIED`
 * flow never answers `verified: true` again, whatever code is sent).
 */
import { randomUUID } from 'node:crypto';
import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import type { ApplicationDeclaration } from '../config/types';
import {
  MAX_VERIFICATION_ID_LENGTH,
  OTP_APPLICATION,
  OTP_CHANNEL,
  OTP_STATUS,
  START_REQUEST_MEMO,
} from '../domain/constants';
import { cancelSignal, resendUpdate, startUpdate, statusQuery, verifyUpdate } from '../domain/messages';
import type {
  Channel,
  CheckResult,
  ResendResult,
  StartAnswer,
  StartRequest,
  VerificationStatus,
} from '../domain/types';
import { TERMINAL_STATUSES } from '../domain/types';
import {
  InvalidInputError,
  RateLimitedError,
  TemporalUnreachableError,
  UnknownVerificationError,
  VerificationFinishedError,
} from './errors';
import { admitStart, indexedContexts, type GuardWatcher } from './guard';
import { GuardOperations } from './guard-ops';
import {
  listPage,
  listQuery,
  type ListFilter,
  type VerificationPage,
  type VerificationSummary,
} from './list';
import { prepareStart, workflowStartOptions, type StartInput } from './start-input';
import { startRefusal } from './start-outcome';
import {
  attachedAnswer,
  startAnswerMissing,
  startMayRetry,
  translateTemporalError,
  unreadableEncryption,
} from './temporal-errors';
import { closedView, runningFallback, runningView, type VerificationView } from './views';

export type { StartInput } from './start-input';
export type { ListFilter, VerificationPage, VerificationSummary } from './list';
export type { VerificationView } from './views';

/** Name of the workflow type the client starts and accepts. */
export const WORKFLOW_TYPE = 'verificationWorkflow';

/** Options of `new OtpClient(…)`. */
export interface OtpClientOptions {
  /** Connected Temporal client (its namespace and data converter are used as they are). */
  client: Client;
  /** Declared applications; verifications of other applications are invisible to this client. */
  applications: ApplicationDeclaration[];
  /** Key of the destination hash (IDs and search attributes). */
  destinationHashKey: Buffer;
  /** Task queue of the otpflow workers. */
  taskQueue: string;
  /**
   * How long `start` waits for its answer, which comes once the first send is known (a worker
   * must run the flow). Past it, `start` answers what Temporal knows without a worker: the
   * status from the search attributes (`LOOKUP` until a worker took the flow), no `expiresAt`.
   * When Temporal itself does not answer, `start` throws `TemporalUnreachableError` after at
   * most `startWaitMs` + `rpcTimeoutMs`.
   * @default 15000
   */
  startWaitMs?: number;
  /**
   * Deadline of the calls that open every other operation (describe), and of the look a start
   * without an answer takes; bounds waiting for a Temporal that is down. @default 5000
   */
  rpcTimeoutMs?: number;
  /**
   * Reads the applications' guard workflows (blocked prefixes, per-prefix limits) before a
   * start. Absent: those two checks are skipped (the others — lockouts, per-destination and
   * per-context limits — still apply). `connectOtp` provides one.
   */
  guard?: GuardWatcher;
}

/** Answer of `start`: a verification whose PIN went out (`PENDING`) or is on its way. */
export interface StartResult {
  id: string;
  /** `PENDING`; `LOOKUP` or `SENDING` only when no worker answered within `startWaitMs`. */
  status: VerificationStatus;
  channel: Channel;
  /** Masked destination, e.g. `+41•••••6727`. */
  destination: string;
  /** ISO 8601; absent until the first PIN went out (or when the flow ended before). */
  expiresAt?: string;
  /** False when a pending verification for the same ID existed and nothing new was sent. */
  created: boolean;
  /** Language of the message template used. */
  language: string;
  /** The language asked for, present when it had no template and `language` (the application's default) was used. */
  requestedLanguage?: string;
}

/** Answer of an accepted `resend`. */
export type ResendAnswer = Required<Pick<ResendResult, 'status' | 'channel' | 'resendsRemaining'>> & {
  nextResendAt?: string;
};

interface Resolved {
  handle: WorkflowHandle;
  info: WorkflowExecutionDescription;
  application: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** First and longest pause between start attempts Temporal or the flow asked to repeat. */
const START_RETRY_MS = { first: 50, max: 500 };

/** The language part of a start's answer: what the template is in, and what was asked for. */
type StartLanguage = Pick<StartResult, 'language' | 'requestedLanguage'>;

/** The start's answer, or the error that says why no PIN went out. */
function startResult(id: string, answer: StartAnswer, language: StartLanguage): StartResult {
  const refused = startRefusal({ id, ...answer });
  if (refused) throw refused;
  return {
    id,
    status: answer.status,
    channel: answer.channel,
    destination: answer.destinationMasked,
    ...(answer.expiresAt ? { expiresAt: answer.expiresAt } : {}),
    created: answer.created,
    ...language,
  };
}

/** The otpflow client library. Every method throws the errors of `errors.ts`. */
export class OtpClient {
  private readonly apps: Map<string, ApplicationDeclaration>;
  /** The abuse guard of the applications this client serves: status, block, unblock. */
  readonly guard: GuardOperations;

  constructor(private readonly options: OtpClientOptions) {
    this.apps = new Map(options.applications.map((a) => [a.name, a]));
    this.guard = new GuardOperations(options.client, options.taskQueue, options.applications);
  }

  /** The same client restricted to some applications (for a tenant's API key). */
  forApplications(names: readonly string[]): OtpClient {
    return new OtpClient({
      ...this.options,
      applications: this.options.applications.filter((a) => names.includes(a.name)),
    });
  }

  /** Names of the applications this client serves. */
  get applicationNames(): string[] {
    return [...this.apps.keys()];
  }

  /**
   * Starts a verification, or attaches to the running one with the same ID (then nothing is
   * sent and `created` is false), and answers once the first send is known: `PENDING` with
   * `expiresAt`. One update-with-start call: the workflow starts with the `start` Update, whose
   * handler answers. Throws `InvalidInputError` before starting anything when the input can
   * never succeed, and with field `id` when a caller-chosen ID belongs to another destination.
   * When the flow ended before a PIN went out it throws why, with the verification's `id`:
   * `RateLimitedError` (Infobip's send limit), `UndeliverableError`, `SendFailedError`
   * (`retryable` when Infobip could not be reached), `MisconfiguredError` (the workers refused
   * this client's hash key or its unencrypted payloads). The abuse guard refuses before anything
   * is sent: `DestinationLockedError` while the destination is locked after a LOCKED
   * verification, `RateLimitedError` for a velocity limit or a blocked prefix (see `guard.ts`).
   * Bounded by `startWaitMs` (see there).
   */
  async start(req: StartInput): Promise<StartResult> {
    const { id, app, input, requestedLanguage, callerId, contexts } = prepareStart(
      this.options.applications,
      this.options.destinationHashKey,
      req,
    );
    const language: StartLanguage = {
      language: input.language ?? app.defaultLanguage,
      ...(requestedLanguage ? { requestedLanguage } : {}),
    };
    const { client, taskQueue } = this.options;
    const { destination, destinationHash } = input;
    try {
      await admitStart(client, this.options.guard, { app, destination, destinationHash, callerId, contexts });
    } catch (err) {
      throw translateTemporalError(err, id);
    }
    const requestId = randomUUID();
    const options = workflowStartOptions(id, taskQueue, input, requestId, indexedContexts(app, contexts));
    const request: StartRequest = {
      requestId,
      application: app.name,
      destinationHash: input.destinationHash,
    };
    const deadline = Date.now() + (this.options.startWaitMs ?? 15_000);
    for (let pause = START_RETRY_MS.first; ; pause = Math.min(pause * 2, START_RETRY_MS.max)) {
      let answer: StartAnswer;
      try {
        answer = await client.withDeadline(deadline, () =>
          client.workflow.executeUpdateWithStart(startUpdate, {
            args: [request],
            startWorkflowOperation: new WithStartWorkflowOperation(WORKFLOW_TYPE, options),
          }),
        );
      } catch (err) {
        if (unreadableEncryption(err)) throw translateTemporalError(err, id);
        const attached = attachedAnswer(err);
        if (attached) return startResult(id, attached, language);
        // Ten Updates in flight per flow at most, a flow closing under us: back off, start again.
        const jittered = pause * (0.5 + Math.random());
        if (startMayRetry(err) && Date.now() + jittered < deadline) {
          await sleep(jittered);
          continue;
        }
        return this.startedWithoutAnswer(err, id, app.name, requestId, language);
      }
      return startResult(id, answer, language);
    }
  }

  /**
   * Checks a code. Returns the outcome (see the module comment); throws `InvalidInputError`
   * (field `code`) for a malformed code — nothing is recorded and no attempt is used —,
   * `VerificationFinishedError` when the flow had already ended, `CheckUnavailableError` when
   * Infobip could not be asked (not counted), `UnknownVerificationError`.
   */
  async check(id: string, code: string): Promise<CheckResult> {
    const v = await this.resolveOpen(id);
    try {
      return await v.handle.executeUpdate(verifyUpdate, { args: [code] });
    } catch (err) {
      throw await this.afterFailure(err, id);
    }
  }

  /**
   * Sends the PIN again on the current channel. Throws `RateLimitedError` (cooldown with
   * `retryAfterSeconds`, no resends left, Infobip's limit), `VerificationFinishedError`,
   * `UnknownVerificationError`.
   */
  async resend(id: string): Promise<ResendAnswer> {
    const v = await this.resolveOpen(id);
    let res: ResendResult;
    try {
      res = await v.handle.executeUpdate(resendUpdate);
    } catch (err) {
      throw await this.afterFailure(err, id);
    }
    if (res.accepted) {
      return {
        status: res.status,
        channel: res.channel,
        resendsRemaining: res.resendsRemaining,
        ...(res.nextResendAt ? { nextResendAt: res.nextResendAt } : {}),
      };
    }
    if (res.reason === 'NOT_PENDING' || !res.reason) throw new VerificationFinishedError(id, res.status);
    if (res.reason === 'COOLDOWN' && res.nextResendAt) {
      const seconds = Math.max(1, Math.ceil((Date.parse(res.nextResendAt) - Date.now()) / 1000));
      throw new RateLimitedError('COOLDOWN', seconds, res.nextResendAt);
    }
    throw new RateLimitedError(res.reason);
  }

  /**
   * Cancels a verification; answers its status afterwards. Cancelling a cancelled flow is a
   * no-op; throws `VerificationFinishedError` when it ended otherwise.
   */
  async cancel(id: string, reason?: string): Promise<VerificationView> {
    const v = await this.resolve(id);
    if (v.info.status.name !== 'RUNNING') {
      const view = await this.view(v);
      if (view.status === 'CANCELLED') return view;
      throw new VerificationFinishedError(id, view.status);
    }
    try {
      await v.handle.signal(cancelSignal, reason);
    } catch (err) {
      throw await this.afterFailure(err, id);
    }
    const view = await this.view(await this.resolve(id));
    if (view.status !== 'CANCELLED' && TERMINAL_STATUSES.includes(view.status))
      throw new VerificationFinishedError(id, view.status);
    return view;
  }

  /** Current state of a verification, never the destination in clear nor the PIN. */
  async status(id: string): Promise<VerificationView> {
    return this.view(await this.resolve(id));
  }

  /** Lists verifications over the search attributes, newest first. Never returns destinations. */
  async list(filter: ListFilter = {}): Promise<VerificationSummary[]> {
    const query = listQuery(filter, this.applicationNames, WORKFLOW_TYPE);
    if (this.apps.size === 0) return [];
    const limit = filter.limit ?? 50;
    const out: VerificationSummary[] = [];
    try {
      for await (const info of this.options.client.workflow.list({
        query,
        pageSize: Math.min(limit, 1000),
      })) {
        out.push({
          id: info.workflowId,
          status: (info.typedSearchAttributes.get(OTP_STATUS) ?? 'LOOKUP') as VerificationStatus,
          application: info.typedSearchAttributes.get(OTP_APPLICATION) ?? '',
          channel: (info.typedSearchAttributes.get(OTP_CHANNEL) ?? 'SMS') as Channel,
          startedAt: info.startTime.toISOString(),
          ...(info.closeTime ? { closedAt: info.closeTime.toISOString() } : {}),
        });
        if (out.length >= limit) break;
      }
    } catch (err) {
      throw translateTemporalError(err, '*');
    }
    return out;
  }

  /**
   * One page of `list`, newest first, with a token for the next page (the HTTP API's
   * `GET /v1/verifications`). Never returns destinations; needs no encryption key.
   */
  async listPage(filter: ListFilter & { pageToken?: string } = {}): Promise<VerificationPage> {
    const query = listQuery(filter, this.applicationNames, WORKFLOW_TYPE);
    if (this.apps.size === 0) return { verifications: [] };
    try {
      return await listPage(
        this.options.client,
        query,
        filter.limit ?? 50,
        filter.pageToken,
        this.options.destinationHashKey,
      );
    } catch (err) {
      throw translateTemporalError(err, '*');
    }
  }

  /** Describes `id`; unknown, not a verification, or of another application → `UnknownVerificationError`. */
  private async resolve(id: string): Promise<Resolved> {
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_VERIFICATION_ID_LENGTH)
      throw new UnknownVerificationError(String(id).slice(0, 64));
    const handle = this.options.client.workflow.getHandle(id);
    let info: WorkflowExecutionDescription;
    try {
      // Every operation starts here: when Temporal is down it fails fast instead of after gRPC's retries.
      info = await this.withRpcDeadline(() => handle.describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new UnknownVerificationError(id);
      throw translateTemporalError(err, id);
    }
    const application = info.typedSearchAttributes.get(OTP_APPLICATION);
    if (info.type !== WORKFLOW_TYPE || !application || !this.apps.has(application))
      throw new UnknownVerificationError(id);
    return { handle, info, application };
  }

  private async resolveOpen(id: string): Promise<Resolved> {
    const v = await this.resolve(id);
    if (v.info.status.name !== 'RUNNING')
      throw new VerificationFinishedError(id, (await this.view(v)).status);
    return v;
  }

  /** Translates a failed message; a flow that closed meanwhile answers with its final status. */
  private async afterFailure(err: unknown, id: string): Promise<unknown> {
    if (err instanceof WorkflowNotFoundError) {
      const view = await this.status(id);
      return new VerificationFinishedError(id, view.status);
    }
    return translateTemporalError(err, id);
  }

  private async view(v: Resolved): Promise<VerificationView> {
    try {
      if (v.info.status.name === 'RUNNING') return runningView(v.info, await v.handle.query(statusQuery));
      return await closedView(v.info, v.handle);
    } catch (err) {
      throw translateTemporalError(err, v.info.workflowId);
    }
  }

  /**
   * After a start that got no answer in time: what Temporal knows of flow `id` without a
   * worker (`created` from the memo's start request). Throws the start's error when it was a
   * refusal, `InvalidInputError` (`id`) when the ID belongs to another kind of workflow, and
   * `TemporalUnreachableError` when there is no flow `id` (the start did not happen).
   */
  private async startedWithoutAnswer(
    err: unknown,
    id: string,
    application: string,
    requestId: string,
    language: StartLanguage,
  ): Promise<StartResult> {
    if (!startAnswerMissing(err)) throw translateTemporalError(err, id);
    const handle = this.options.client.workflow.getHandle(id);
    let info: WorkflowExecutionDescription;
    try {
      info = await this.withRpcDeadline(() => handle.describe());
    } catch (lookup) {
      if (!(lookup instanceof WorkflowNotFoundError)) throw translateTemporalError(lookup, id);
      throw new TemporalUnreachableError(`Temporal did not start verification ${id} in time`, { cause: err });
    }
    if (info.type !== WORKFLOW_TYPE || info.typedSearchAttributes.get(OTP_APPLICATION) !== application)
      throw new InvalidInputError('id', 'is already used by another workflow');
    const view =
      info.status.name === 'RUNNING'
        ? runningFallback(info, application)
        : await this.view({ handle, info, application });
    const { status, reasonCode, channel, destination } = view;
    const refused = startRefusal({ id, status, ...(reasonCode ? { reasonCode } : {}) });
    if (refused) throw refused;
    const created = info.memo?.[START_REQUEST_MEMO] === requestId;
    return { id, status, channel, destination, created, ...language };
  }

  /** Runs a call that opens an operation under the `rpcTimeoutMs` deadline. */
  private withRpcDeadline<T>(fn: () => Promise<T>): Promise<T> {
    return this.options.client.withDeadline(Date.now() + (this.options.rpcTimeoutMs ?? 5000), fn);
  }
}
