/**
 * Fault injection for the Infobip API paths (never /emulator/*) and for the delivery reports the
 * emulator pushes (rules with `match.report: true`).
 *
 * A rule: `{ match?: {method?, path?, report?}, times?, probability?, action }`. Rules are tried in the
 * order they were added; the first one that matches (and wins its probability draw) fires.
 * `path` is exact (the concrete path, or the operation template such as
 * `/2fa/2/pin/{pinId}/verify`), a prefix when it ends with `*`, or a regular expression on the
 * concrete path when it starts with `^`. `times` bounds how often the rule fires (then it is
 * removed); without `times` it fires until deleted. A report rule's `path` is matched against the
 * path of the subscription URL, and its action is `{latencyMs}` (the push attempt waits first) or
 * `{dropReport: true}` (the report is lost: no push, no retry).
 */
import { FaultRuleError } from './errors';

/** What a fault does to a matching request. */
export type FaultAction =
  /** Answer this status with Infobip's envelope (and `Retry-After: <retryAfter>` if given), without processing. */
  | { status: number; retryAfter?: number }
  /** Wait this long, then process normally. */
  | { latencyMs: number }
  /** Destroy the connection without answering and without processing. */
  | { reset: true }
  /** Process the request fully (state changes, messages delivered), then destroy the connection unanswered. */
  | { dropResponse: true }
  /** Report rules only: lose the report (it is never pushed nor retried). */
  | { dropReport: true };

/** Which requests a rule applies to. */
export interface FaultMatch {
  /** HTTP method, any case; all methods when absent. */
  method?: string;
  /** Exact path or operation template, `prefix*`, or `^regex`; all Infobip paths when absent. */
  path?: string;
  /** True: the rule applies to delivery-report pushes (and `path` to the subscription URL's path), not to API requests. */
  report?: boolean;
}

/** A rule as posted to `POST /emulator/faults` or passed in `faults` at start-up. */
export interface FaultRuleInput {
  match?: FaultMatch;
  /** Fire for the next N matching requests only. */
  times?: number;
  /** Share (0–1) of matching requests to fire on. @default 1 */
  probability?: number;
  action: FaultAction;
}

/** A stored rule: the input plus its id and how often it has fired. */
export interface FaultRule extends FaultRuleInput {
  id: string;
  fired: number;
}

interface Compiled {
  rule: FaultRule;
  test: (method: string, path: string, template: string | undefined) => boolean;
}

function fail(message: string): never {
  throw new FaultRuleError(`Invalid fault rule: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a rule; throws FaultRuleError naming the problem. */
export function parseFaultRule(input: unknown): FaultRuleInput {
  if (!isObject(input)) fail('expected a JSON object');
  const { match, times, probability, action } = input;
  const rule: FaultRuleInput = { action: { reset: true } };
  if (match !== undefined) {
    if (!isObject(match)) fail('match must be an object');
    if (match.method !== undefined && typeof match.method !== 'string') fail('match.method must be a string');
    if (match.path !== undefined && typeof match.path !== 'string') fail('match.path must be a string');
    if (typeof match.path === 'string' && match.path.startsWith('^')) {
      try {
        new RegExp(match.path);
      } catch (err) {
        fail(`match.path is not a valid regular expression: ${(err as Error).message}`);
      }
    }
    if (match.report !== undefined && typeof match.report !== 'boolean')
      fail('match.report must be a boolean');
    rule.match = { method: match.method as string | undefined, path: match.path as string | undefined };
    if (match.report === true) rule.match.report = true;
  }
  const report = rule.match?.report === true;
  if (times !== undefined) {
    if (typeof times !== 'number' || !Number.isInteger(times) || times < 1)
      fail('times must be a positive integer');
    rule.times = times;
  }
  if (probability !== undefined) {
    if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1))
      fail('probability must be between 0 and 1');
    rule.probability = probability;
  }
  if (!isObject(action))
    fail(
      'action must be an object: {status}, {latencyMs}, {reset: true}, {dropResponse: true} or {dropReport: true}',
    );
  const kinds = ['status', 'latencyMs', 'reset', 'dropResponse', 'dropReport'].filter(
    (k) => action[k] !== undefined,
  );
  if (kinds.length !== 1)
    fail('action must have exactly one of status, latencyMs, reset, dropResponse, dropReport');
  if (report && kinds[0] !== 'latencyMs' && kinds[0] !== 'dropReport')
    fail('a report rule (match.report: true) takes action {latencyMs} or {dropReport: true}');
  if (!report && kinds[0] === 'dropReport') fail('action.dropReport needs match.report: true');
  if (action.status !== undefined) {
    if (
      typeof action.status !== 'number' ||
      !Number.isInteger(action.status) ||
      action.status < 400 ||
      action.status > 599
    ) {
      fail('action.status must be an HTTP error status (400–599)');
    }
    if (
      action.retryAfter !== undefined &&
      (typeof action.retryAfter !== 'number' || !(action.retryAfter >= 0))
    ) {
      fail('action.retryAfter must be a non-negative number of seconds');
    }
    rule.action =
      action.retryAfter === undefined
        ? { status: action.status }
        : { status: action.status, retryAfter: action.retryAfter as number };
  } else if (action.latencyMs !== undefined) {
    if (typeof action.latencyMs !== 'number' || !(action.latencyMs >= 0 && action.latencyMs <= 600_000))
      fail('action.latencyMs must be 0–600000');
    rule.action = { latencyMs: action.latencyMs };
  } else if (action.reset !== undefined) {
    if (action.reset !== true) fail('action.reset must be true');
    rule.action = { reset: true };
  } else if (action.dropResponse !== undefined) {
    if (action.dropResponse !== true) fail('action.dropResponse must be true');
    rule.action = { dropResponse: true };
  } else {
    if (action.dropReport !== true) fail('action.dropReport must be true');
    rule.action = { dropReport: true };
  }
  return rule;
}

function compileMatch(match: FaultMatch | undefined): Compiled['test'] {
  const method = match?.method?.toUpperCase();
  const path = match?.path;
  let testPath: (path: string, template: string | undefined) => boolean = () => true;
  if (path?.startsWith('^')) {
    const re = new RegExp(path);
    testPath = (p) => re.test(p);
  } else if (path?.endsWith('*')) {
    const prefix = path.slice(0, -1);
    testPath = (p) => p.startsWith(prefix);
  } else if (path !== undefined) {
    testPath = (p, t) => p === path || t === path;
  }
  return (m, p, t) => (method === undefined || m === method) && testPath(p, t);
}

/** The active fault rules. */
export class Faults {
  private compiled: Compiled[] = [];
  private seq = 0;

  /** Adds a rule (validated); returns it with its id. Throws FaultRuleError. */
  add(input: unknown): FaultRule {
    const parsed = parseFaultRule(input);
    const rule: FaultRule = { id: `fault-${++this.seq}`, ...parsed, fired: 0 };
    this.compiled.push({ rule, test: compileMatch(parsed.match) });
    return rule;
  }

  list(): FaultRule[] {
    return this.compiled.map((c) => ({ ...c.rule }));
  }

  /** Removes one rule; false if there was none with that id. */
  remove(id: string): boolean {
    const before = this.compiled.length;
    this.compiled = this.compiled.filter((c) => c.rule.id !== id);
    return this.compiled.length < before;
  }

  clear(): void {
    this.compiled = [];
  }

  /** The action to apply to this API request, if a rule fires; counts the firing. */
  pick(method: string, path: string, template: string | undefined): FaultAction | undefined {
    return this.fire(false, method, path, template);
  }

  /** The action to apply to a push of a delivery report to a URL with this path, if a report rule fires. */
  pickReport(path: string): FaultAction | undefined {
    return this.fire(true, 'POST', path, undefined);
  }

  private fire(
    report: boolean,
    method: string,
    path: string,
    template: string | undefined,
  ): FaultAction | undefined {
    if (this.compiled.length === 0) return undefined;
    for (const c of this.compiled) {
      if ((c.rule.match?.report === true) !== report || !c.test(method, path, template)) continue;
      if (c.rule.probability !== undefined && Math.random() >= c.rule.probability) continue;
      c.rule.fired++;
      if (c.rule.times !== undefined && c.rule.fired >= c.rule.times)
        this.compiled = this.compiled.filter((x) => x !== c);
      return c.rule.action;
    }
    return undefined;
  }
}
