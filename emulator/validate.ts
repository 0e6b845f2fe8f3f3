/** Small request-body validation helpers that collect Infobip-style `validationErrors`. */
import { badRequest } from './errors';

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

/** The body as an object; throws 400 when it is missing (unless `optional`) or not an object. */
export function bodyObject(body: unknown, optional = false): JsonObject {
  if (body === undefined) {
    if (optional) return {};
    throw badRequest('Request body is missing: a JSON object is expected');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('Request body must be a JSON object');
  }
  return body as JsonObject;
}

/** Reads typed fields from one object, collecting every problem before failing. */
export class Fields {
  readonly errors: Record<string, string[]>;

  constructor(
    readonly obj: JsonObject,
    readonly prefix = '',
    errors?: Record<string, string[]>,
  ) {
    this.errors = errors ?? {};
  }

  add(key: string, message: string): void {
    const path = this.prefix + key;
    (this.errors[path] ??= []).push(message);
  }

  /** A nested object's fields, sharing this collector. */
  nested(key: string): Fields | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.add(key, 'must be an object');
      return undefined;
    }
    return new Fields(v as JsonObject, `${this.prefix}${key}.`, this.errors);
  }

  string(
    key: string,
    opts: { required?: boolean; nonEmpty?: boolean; maxLength?: number } = {},
  ): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (opts.required) this.add(key, 'must not be null');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.add(key, 'must be a string');
      return undefined;
    }
    if ((opts.nonEmpty || opts.required) && v.trim() === '') {
      this.add(key, 'must not be blank');
      return undefined;
    }
    if (opts.maxLength !== undefined && v.length > opts.maxLength) {
      this.add(key, `size must be between 0 and ${opts.maxLength}`);
      return undefined;
    }
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.add(key, 'must be a boolean');
      return undefined;
    }
    return v;
  }

  integer(key: string, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (opts.required) this.add(key, 'must not be null');
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      this.add(key, 'must be an integer');
      return undefined;
    }
    return this.inRange(key, v, opts);
  }

  number(key: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.add(key, 'must be a number');
      return undefined;
    }
    return this.inRange(key, v, opts);
  }

  oneOf<T extends string>(
    key: string,
    values: readonly T[],
    opts: { required?: boolean } = {},
  ): T | undefined {
    const v = this.string(key, opts);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v)) {
      this.add(key, `must be one of ${values.join(', ')}`);
      return undefined;
    }
    return v as T;
  }

  /** An object whose values are all strings (placeholders). */
  stringMap(key: string): Record<string, string> | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.add(key, 'must be an object of strings');
      return undefined;
    }
    const out: Record<string, string> = {};
    for (const [k, s] of Object.entries(v as JsonObject)) {
      if (typeof s !== 'string') this.add(`${key}.${k}`, 'must be a string');
      else out[k] = s;
    }
    return out;
  }

  /** Throws 400 naming every problem found so far. */
  check(): void {
    const entries = Object.entries(this.errors);
    if (entries.length === 0) return;
    const summary = entries.map(([k, msgs]) => `${k} ${msgs.join(', ')}`).join('; ');
    throw badRequest(`Invalid request: ${summary}`, this.errors);
  }

  private inRange(key: string, v: number, opts: { min?: number; max?: number }): number | undefined {
    if ((opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
      this.add(key, `must be between ${opts.min ?? '-∞'} and ${opts.max ?? '∞'}`);
      return undefined;
    }
    return v;
  }
}
