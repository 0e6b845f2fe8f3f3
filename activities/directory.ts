/**
 * Resolves what the workflow names (an application, a channel, a language) to Infobip's IDs
 * (`applicationId`, template `messageId`), finding them at Infobip by name and content the way
 * `setup/applications.ts` created them. Answers are cached in memory for the life of the worker: Infobip
 * throttles listing applications (50 per 10 minutes), and IDs do not change.
 */
import type { Channel } from '../domain/types';
import type { ApplicationDeclaration } from '../config/types';
import type { InfobipClient } from '../infobip/client';
import type { MessageTemplate } from '../infobip/types';
import { FailureTypes } from '../domain/failures';
import { permanent } from './failures';
import { findMatchingTemplate, slotFor, type TemplateSlot } from '../setup/templates';

/** A resolved send target. */
export interface ResolvedTemplate {
  declaration: ApplicationDeclaration;
  applicationId: string;
  messageId: string;
  slot: TemplateSlot;
}

/** Finds and caches Infobip IDs for declared applications and templates. */
export class ApplicationDirectory {
  private readonly byName: Map<string, ApplicationDeclaration>;
  private readonly appIds = new Map<string, Promise<string>>();
  private readonly templates = new Map<string, Promise<MessageTemplate[]>>();

  constructor(
    private readonly infobip: InfobipClient,
    applications: ApplicationDeclaration[],
  ) {
    this.byName = new Map(applications.map((a) => [a.name, a]));
  }

  /**
   * The declaration of an application.
   * @throws ApplicationFailure `OtpflowNotConfigured` when not declared, `InfobipApplicationDisabled` when disabled.
   */
  declaration(name: string): ApplicationDeclaration {
    const decl = this.byName.get(name);
    if (!decl)
      throw permanent(FailureTypes.NOT_CONFIGURED, `application ${JSON.stringify(name)} is not declared`);
    if (!decl.enabled)
      throw permanent(FailureTypes.APPLICATION_DISABLED, `application ${JSON.stringify(name)} is disabled`);
    return decl;
  }

  /** Names of the declared, enabled applications. */
  names(): string[] {
    return [...this.byName.values()].filter((a) => a.enabled).map((a) => a.name);
  }

  /**
   * Infobip's `applicationId` of a declared application, found by name.
   * @throws ApplicationFailure `OtpflowNotConfigured` when Infobip has no application of that name.
   */
  async applicationId(name: string): Promise<string> {
    this.declaration(name);
    // Shared by concurrent activities, so not tied to one caller's cancellation; the
    // client's timeouts bound it.
    return this.memo(this.appIds, name, async () => {
      const apps = await this.infobip.listApplications();
      const found = apps.find((a) => a.name === name);
      if (!found) {
        throw permanent(
          FailureTypes.NOT_CONFIGURED,
          `application ${JSON.stringify(name)} does not exist at Infobip: run otpflow setup`,
        );
      }
      return found.applicationId;
    });
  }

  /**
   * The template a send over `channel` uses, in `language` or the default language.
   * @throws ApplicationFailure `OtpflowNotConfigured` when not declared or not set up at Infobip.
   */
  async template(name: string, channel: Channel, language: string | undefined): Promise<ResolvedTemplate> {
    const declaration = this.declaration(name);
    const slot = slotFor(declaration, channel, language);
    if (!slot) {
      throw permanent(
        FailureTypes.NOT_CONFIGURED,
        `application ${JSON.stringify(name)} declares no ${channel} template`,
      );
    }
    const applicationId = await this.applicationId(name);
    const load = () =>
      this.memo(this.templates, applicationId, () => this.infobip.listMessageTemplates(applicationId));
    let found = findMatchingTemplate(slot, await load());
    if (!found) {
      // The cached list may predate a setup run: look once more before giving up.
      this.templates.delete(applicationId);
      found = findMatchingTemplate(slot, await load());
    }
    if (!found) {
      throw permanent(
        FailureTypes.NOT_CONFIGURED,
        `${channel} template ${slot.language} of application ${JSON.stringify(name)} is not set up at Infobip: run otpflow setup`,
      );
    }
    return { declaration, applicationId, messageId: found.messageId, slot };
  }

  /** Forgets what is cached about an application (after Infobip said 404 for its IDs). */
  forget(name: string): void {
    const id = this.appIds.get(name);
    this.appIds.delete(name);
    void id?.then(
      (appId) => this.templates.delete(appId),
      () => undefined,
    );
  }

  /** Forgets everything (after `otpflow setup` changed Infobip). */
  clear(): void {
    this.appIds.clear();
    this.templates.clear();
  }

  private memo<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const cached = cache.get(key);
    if (cached) return cached;
    const p = load();
    cache.set(key, p);
    // A failure is not an answer: the next call asks again.
    p.catch(() => {
      if (cache.get(key) === p) cache.delete(key);
    });
    return p;
  }
}
