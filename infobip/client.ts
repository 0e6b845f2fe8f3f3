/**
 * Typed client for the Infobip operations otpflow uses: 2FA applications and templates,
 * PIN send / resend / verify over SMS, voice and e-mail, verification status, and Number
 * Lookup. Knows nothing of Temporal. Every method takes an optional `AbortSignal`, resolves
 * with Infobip's parsed answer on 2xx and rejects with an `InfobipError` otherwise.
 */
import { InfobipInvalidArgumentError } from './errors';
import { isE164, isEmailAddress } from '../domain/destination';
import { toInfobipNumber } from './phone';
import { Transport, type CallOptions, type InfobipClientOptions } from './transport';
import type {
  Application,
  ApplicationRequest,
  EmailTemplate,
  EmailTemplateRequest,
  MessageTemplate,
  MessageTemplateRequest,
  NumberLookupResponse,
  ResendEmailPinRequest,
  ResendPinRequest,
  SendEmailPinRequest,
  SendEmailPinResponse,
  SendPinRequest,
  SendPinResponse,
  VerificationStatusQuery,
  VerificationStatusResponse,
  VerifyPinResponse,
} from './types';

export type { CallOptions, InfobipClientOptions } from './transport';

/** Options of an SMS send. */
export interface SendSmsPinOptions extends CallOptions {
  /** Ask Infobip to run Number Lookup first and skip the SMS if the number is not reachable. @default true (Infobip's default) */
  ncNeeded?: boolean;
}

const seg = encodeURIComponent;

/** Client of one Infobip account (one base URL, one keep-alive pool). Call `close()` when done. */
export class InfobipClient {
  private readonly transport: Transport;
  /** The base URL calls go to. */
  readonly baseUrl: string;

  constructor(options: InfobipClientOptions) {
    this.transport = new Transport(options);
    this.baseUrl = options.baseUrl;
  }

  // Applications

  /** `GET /2fa/2/applications`. */
  async listApplications(opts: CallOptions = {}): Promise<Application[]> {
    return this.get<Application[]>('/2fa/2/applications', opts);
  }

  /** `GET /2fa/2/applications/{appId}`; 404 for an unknown ID. */
  async getApplication(appId: string, opts: CallOptions = {}): Promise<Application> {
    return this.get<Application>(`/2fa/2/applications/${seg(appId)}`, opts);
  }

  /** `POST /2fa/2/applications` (201). */
  async createApplication(req: ApplicationRequest, opts: CallOptions = {}): Promise<Application> {
    return this.post<Application>('/2fa/2/applications', req, opts);
  }

  /** `PUT /2fa/2/applications/{appId}`; replaces the whole configuration. */
  async updateApplication(
    appId: string,
    req: ApplicationRequest,
    opts: CallOptions = {},
  ): Promise<Application> {
    return this.put<Application>(`/2fa/2/applications/${seg(appId)}`, req, opts);
  }

  // Templates

  /** `GET /2fa/2/applications/{appId}/messages`. */
  async listMessageTemplates(appId: string, opts: CallOptions = {}): Promise<MessageTemplate[]> {
    return this.get<MessageTemplate[]>(`/2fa/2/applications/${seg(appId)}/messages`, opts);
  }

  /** `GET /2fa/2/applications/{appId}/messages/{msgId}`. */
  async getMessageTemplate(appId: string, msgId: string, opts: CallOptions = {}): Promise<MessageTemplate> {
    return this.get<MessageTemplate>(`/2fa/2/applications/${seg(appId)}/messages/${seg(msgId)}`, opts);
  }

  /** `POST /2fa/2/applications/{appId}/messages`: an SMS or voice template. */
  async createMessageTemplate(
    appId: string,
    req: MessageTemplateRequest,
    opts: CallOptions = {},
  ): Promise<MessageTemplate> {
    return this.post<MessageTemplate>(`/2fa/2/applications/${seg(appId)}/messages`, req, opts);
  }

  /** `PUT /2fa/2/applications/{appId}/messages/{msgId}`. */
  async updateMessageTemplate(
    appId: string,
    msgId: string,
    req: MessageTemplateRequest,
    opts: CallOptions = {},
  ): Promise<MessageTemplate> {
    return this.put<MessageTemplate>(`/2fa/2/applications/${seg(appId)}/messages/${seg(msgId)}`, req, opts);
  }

  /** `POST /2fa/2/applications/{appId}/email/messages`. */
  async createEmailTemplate(
    appId: string,
    req: EmailTemplateRequest,
    opts: CallOptions = {},
  ): Promise<EmailTemplate> {
    return this.post<EmailTemplate>(`/2fa/2/applications/${seg(appId)}/email/messages`, req, opts);
  }

  /** `PUT /2fa/2/applications/{appId}/email/messages/{msgId}`. */
  async updateEmailTemplate(
    appId: string,
    msgId: string,
    req: EmailTemplateRequest,
    opts: CallOptions = {},
  ): Promise<EmailTemplate> {
    return this.put<EmailTemplate>(
      `/2fa/2/applications/${seg(appId)}/email/messages/${seg(msgId)}`,
      req,
      opts,
    );
  }

  // PINs

  /**
   * `POST /2fa/2/pin?ncNeeded=…`: generates a PIN and sends it by SMS.
   * @throws InfobipInvalidArgumentError when `to` is not E.164 (before any I/O).
   */
  async sendSmsPin(req: SendPinRequest, opts: SendSmsPinOptions = {}): Promise<SendPinResponse> {
    const path = '/2fa/2/pin';
    return this.transport
      .exchange<SendPinResponse>({
        method: 'POST',
        path,
        query: { ncNeeded: opts.ncNeeded },
        body: { ...req, to: toInfobipNumber(req.to, `POST ${path}`) },
        signal: opts.signal,
      })
      .then((r) => r.data);
  }

  /** `POST /2fa/2/pin/voice`: generates a PIN and reads it out in a call. */
  async sendVoicePin(req: SendPinRequest, opts: CallOptions = {}): Promise<SendPinResponse> {
    const path = '/2fa/2/pin/voice';
    return this.post<SendPinResponse>(path, { ...req, to: toInfobipNumber(req.to, `POST ${path}`) }, opts);
  }

  /** `POST /2fa/2/pin/email`: generates a PIN and e-mails it. */
  async sendEmailPin(req: SendEmailPinRequest, opts: CallOptions = {}): Promise<SendEmailPinResponse> {
    const path = '/2fa/2/pin/email';
    if (!isEmailAddress(req.to))
      throw new InfobipInvalidArgumentError(`POST ${path}`, 'to', 'must be an e-mail address');
    return this.post<SendEmailPinResponse>(path, req, opts);
  }

  /** `POST /2fa/2/pin/{pinId}/resend`: sends the same PIN again by SMS. */
  async resendSmsPin(
    pinId: string,
    req: ResendPinRequest = {},
    opts: CallOptions = {},
  ): Promise<SendPinResponse> {
    return this.post<SendPinResponse>(`/2fa/2/pin/${seg(pinId)}/resend`, req, opts);
  }

  /**
   * `POST /2fa/2/pin/{pinId}/resend/voice`: the same PIN read out in a call. A PIN first sent by
   * SMS may be resent by voice (and the other way round); an e-mail PIN only by e-mail.
   */
  async resendVoicePin(
    pinId: string,
    req: ResendPinRequest = {},
    opts: CallOptions = {},
  ): Promise<SendPinResponse> {
    return this.post<SendPinResponse>(`/2fa/2/pin/${seg(pinId)}/resend/voice`, req, opts);
  }

  /** `POST /2fa/2/pin/{pinId}/resend/email`. */
  async resendEmailPin(
    pinId: string,
    req: ResendEmailPinRequest = {},
    opts: CallOptions = {},
  ): Promise<SendEmailPinResponse> {
    return this.post<SendEmailPinResponse>(`/2fa/2/pin/${seg(pinId)}/resend/email`, req, opts);
  }

  /** `POST /2fa/2/pin/{pinId}/verify`. A wrong PIN resolves (`verified: false`, `pinError`). */
  async verifyPin(pinId: string, pin: string, opts: CallOptions = {}): Promise<VerifyPinResponse> {
    return this.post<VerifyPinResponse>(`/2fa/2/pin/${seg(pinId)}/verify`, { pin }, opts);
  }

  /**
   * `GET /2fa/2/applications/{appId}/verifications`: the PINs sent to one destination.
   * `msisdn` is E.164 (sent as digits) or, for e-mail PINs, the address.
   */
  async getVerificationStatus(
    appId: string,
    query: VerificationStatusQuery,
    opts: CallOptions = {},
  ): Promise<VerificationStatusResponse> {
    const path = `/2fa/2/applications/${seg(appId)}/verifications`;
    const msisdn = isE164(query.msisdn) ? query.msisdn.slice(1) : query.msisdn;
    const res = await this.transport.exchange<VerificationStatusResponse>({
      method: 'GET',
      path,
      query: { msisdn, verified: query.verified, sent: query.sent },
      signal: opts.signal,
    });
    return { verifications: res.data?.verifications ?? [] };
  }

  // Number Lookup

  /** `POST /number/1/query` for 1–1000 E.164 numbers. */
  async lookupNumbers(numbers: string[], opts: CallOptions = {}): Promise<NumberLookupResponse> {
    const path = '/number/1/query';
    if (numbers.length < 1 || numbers.length > 1000) {
      throw new InfobipInvalidArgumentError(`POST ${path}`, 'to', 'must hold 1 to 1000 numbers');
    }
    const to = numbers.map((n) => toInfobipNumber(n, `POST ${path}`));
    const res = await this.post<NumberLookupResponse>(path, { to }, opts);
    return { ...res, results: res?.results ?? [] };
  }

  /** Closes the client's connection pool. */
  async close(): Promise<void> {
    await this.transport.close();
  }

  private async get<T>(path: string, opts: CallOptions): Promise<T> {
    return (await this.transport.exchange<T>({ method: 'GET', path, signal: opts.signal })).data;
  }

  private async post<T>(path: string, body: unknown, opts: CallOptions): Promise<T> {
    return (await this.transport.exchange<T>({ method: 'POST', path, body, signal: opts.signal })).data;
  }

  private async put<T>(path: string, body: unknown, opts: CallOptions): Promise<T> {
    return (await this.transport.exchange<T>({ method: 'PUT', path, body, signal: opts.signal })).data;
  }
}

/** Creates an `InfobipClient` (see `InfobipClientOptions` for defaults). */
export function createInfobipClient(options: InfobipClientOptions): InfobipClient {
  return new InfobipClient(options);
}
