/**
 * What operators do with an application's abuse guard — read its state, block a prefix, lift a
 * block — for `otpflow guard` and the HTTP API's `/v1/guard` routes. The guard workflow is
 * started on first use (update-with-start) when no worker fed it yet, with the application's
 * settings from the configuration.
 */
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { ApplicationDeclaration } from '../config/types';
import { InvalidInputError } from '../domain/errors';
import {
  GUARD_WORKFLOW_TYPE,
  guardBlockUpdate,
  guardUnblockUpdate,
  guardViewQuery,
  guardWorkflowId,
} from '../domain/guard-messages';
import { GUARD_LIMITS, guardSettingsOf } from '../domain/guard-policy';
import { normalisePrefix } from '../domain/guard-prefix';
import type { GuardInput, GuardView, PrefixBlock } from '../domain/guard-types';
import { translateTemporalError } from './temporal-errors';

/** An operator's block. */
export interface BlockOrder {
  prefix: string;
  /** How long the block lasts. @default 3600 */
  seconds?: number;
  reason: string;
  /** Who blocks (an operator name, the API key's label, `cli:<user>`). */
  by: string;
}

/** An operator's unblock. */
export interface UnblockOrder {
  prefix: string;
  reason?: string;
  by: string;
}

/** Guard operations for the applications a client serves. Errors are the library's. */
export class GuardOperations {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly applications: readonly ApplicationDeclaration[],
  ) {}

  private app(name: string | undefined): ApplicationDeclaration {
    if (name === undefined && this.applications.length === 1) return this.applications[0]!;
    const app = this.applications.find((a) => a.name === name);
    if (!app) {
      throw new InvalidInputError(
        'application',
        name === undefined
          ? `is required (one of: ${this.applications.map((a) => a.name).join(', ')})`
          : `unknown application "${String(name).slice(0, 64)}"`,
      );
    }
    return app;
  }

  /** The guard's view of an application; an empty one when its guard never ran. */
  async status(application?: string): Promise<GuardView> {
    const app = this.app(application);
    try {
      return await this.client.workflow.getHandle(guardWorkflowId(app.name)).query(guardViewQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError)
        return {
          application: app.name,
          at: new Date().toISOString(),
          blocks: [],
          limited: [],
          prefixes: [],
          lifted: [],
        };
      throw translateTemporalError(err, guardWorkflowId(app.name));
    }
  }

  /** Blocks a prefix (`+44791`) for `seconds`; answers the block. */
  async block(application: string | undefined, order: BlockOrder): Promise<PrefixBlock> {
    const app = this.app(application);
    const prefix = checkedPrefix(order.prefix);
    const seconds = order.seconds ?? 3600;
    const { min, max } = GUARD_LIMITS.coolOffSeconds;
    if (!Number.isInteger(seconds) || seconds < min || seconds > max)
      throw new InvalidInputError('seconds', `must be an integer from ${min} to ${max}`);
    if (typeof order.reason !== 'string' || order.reason.trim() === '' || order.reason.length > 200)
      throw new InvalidInputError('reason', 'must say why (1–200 characters)');
    return this.update(app, guardBlockUpdate, { prefix, seconds, reason: order.reason.trim(), by: order.by });
  }

  /** Lifts a block; answers it, or null when the prefix was not blocked. */
  async unblock(application: string | undefined, order: UnblockOrder): Promise<PrefixBlock | null> {
    const app = this.app(application);
    const prefix = checkedPrefix(order.prefix);
    if (order.reason !== undefined && (typeof order.reason !== 'string' || order.reason.length > 200))
      throw new InvalidInputError('reason', 'must be at most 200 characters');
    return this.update(app, guardUnblockUpdate, {
      prefix,
      by: order.by,
      ...(order.reason ? { reason: order.reason } : {}),
    });
  }

  private async update<Ret, Arg>(
    app: ApplicationDeclaration,
    def: import('@temporalio/common').UpdateDefinition<Ret, [Arg]>,
    arg: Arg,
  ): Promise<Ret> {
    const input: GuardInput = { application: app.name, settings: guardSettingsOf(app) };
    try {
      return await this.client.workflow.executeUpdateWithStart(def, {
        args: [arg],
        startWorkflowOperation: new WithStartWorkflowOperation(GUARD_WORKFLOW_TYPE, {
          workflowId: guardWorkflowId(app.name),
          taskQueue: this.taskQueue,
          args: [input],
          workflowIdConflictPolicy: 'USE_EXISTING',
          staticSummary: `otpflow abuse guard of ${app.name}`,
        }),
      });
    } catch (err) {
      throw translateTemporalError(err, guardWorkflowId(app.name));
    }
  }
}

function checkedPrefix(value: unknown): string {
  const prefix = normalisePrefix(value);
  if (!prefix) throw new InvalidInputError('prefix', 'must be a + and 1–11 digits such as +44791');
  return prefix;
}
