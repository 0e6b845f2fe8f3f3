/** The Infobip operations the emulator serves, matched by method and path template. */
import type { ApiHandler } from './context';
import * as apps from './applications';
import * as pins from './pins';
import { queryNumbers } from './number-query';

/** One operation: method, Infobip's path template, handler. */
export interface Route {
  method: string;
  template: string;
  /** `METHOD template`, the key used by `/emulator/stats`. */
  key: string;
  segments: readonly string[];
  handler: ApiHandler;
}

const DEFINITIONS: ReadonlyArray<[string, string, ApiHandler]> = [
  ['GET', '/2fa/2/applications', apps.listApplications],
  ['POST', '/2fa/2/applications', apps.createApplication],
  ['GET', '/2fa/2/applications/{appId}', apps.getApplication],
  ['PUT', '/2fa/2/applications/{appId}', apps.updateApplication],
  ['GET', '/2fa/2/applications/{appId}/messages', apps.listTemplates],
  ['POST', '/2fa/2/applications/{appId}/messages', apps.createSmsTemplate],
  ['GET', '/2fa/2/applications/{appId}/messages/{msgId}', apps.getTemplate],
  ['PUT', '/2fa/2/applications/{appId}/messages/{msgId}', apps.updateSmsTemplate],
  ['POST', '/2fa/2/applications/{appId}/email/messages', apps.createEmailTemplate],
  ['PUT', '/2fa/2/applications/{appId}/email/messages/{msgId}', apps.updateEmailTemplate],
  ['GET', '/2fa/2/applications/{appId}/verifications', pins.verificationStatus],
  ['POST', '/2fa/2/pin', pins.sendSmsPin],
  ['POST', '/2fa/2/pin/voice', pins.sendVoicePin],
  ['POST', '/2fa/2/pin/email', pins.sendEmailPin],
  ['POST', '/2fa/2/pin/{pinId}/resend', pins.resendSmsPin],
  ['POST', '/2fa/2/pin/{pinId}/resend/voice', pins.resendVoicePin],
  ['POST', '/2fa/2/pin/{pinId}/resend/email', pins.resendEmailPin],
  ['POST', '/2fa/2/pin/{pinId}/verify', pins.verifyPin],
  ['POST', '/number/1/query', queryNumbers],
];

/** Every operation, in matching order (literal paths before parameterised ones of equal length). */
export const ROUTES: readonly Route[] = DEFINITIONS.map(([method, template, handler]) => ({
  method,
  template,
  key: `${method} ${template}`,
  segments: template.split('/'),
  handler,
}));

/** Routes by number of path segments: a request is compared with at most a handful. */
const BY_LENGTH = new Map<number, Route[]>();
for (const route of ROUTES) {
  const list = BY_LENGTH.get(route.segments.length) ?? [];
  list.push(route);
  BY_LENGTH.set(route.segments.length, list);
}

/** Result of matching a request path. */
export interface RouteMatch {
  route?: Route;
  params: string[];
  /** Template of a route with this path (any method): lets faults match by template, errors say 'wrong method'. */
  template?: string;
}

function matchSegments(route: Route, segments: readonly string[]): string[] | undefined {
  if (route.segments.length !== segments.length) return undefined;
  const params: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    const want = route.segments[i] ?? '';
    const got = segments[i] ?? '';
    if (want.charCodeAt(0) === 123 /* { */) {
      if (got === '') return undefined;
      if (!got.includes('%')) params.push(got);
      else {
        try {
          params.push(decodeURIComponent(got));
        } catch {
          params.push(got);
        }
      }
    } else if (want !== got) return undefined;
  }
  return params;
}

/** Finds the operation for a method and path (without query string). */
export function matchRoute(method: string, pathname: string): RouteMatch {
  const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  const segments = path.split('/');
  let template: string | undefined;
  for (const route of BY_LENGTH.get(segments.length) ?? []) {
    const params = matchSegments(route, segments);
    if (!params) continue;
    if (route.method === method) return { route, params, template: route.template };
    template ??= route.template;
  }
  return { params: [], template };
}
