import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createEmulator, type Emulator } from '../emulator';
import { ROUTES } from '../emulator/routes';
import { createAppWithTemplate, emulatorClient, type EmulatorClient } from './kits/emulator';

let emu: Emulator;
let api: EmulatorClient;
let ids: { applicationId: string; messageId: string; pinId: string };

beforeAll(async () => {
  emu = await createEmulator({ managementLimits: false });
  api = emulatorClient(emu.url);
  const { applicationId, messageId } = await createAppWithTemplate(api);
  const sent = await api.post('/2fa/2/pin', { applicationId, messageId, to: '41793026727' });
  ids = { applicationId, messageId, pinId: sent.body.pinId as string };
});
afterAll(() => emu.close());

/** A path for the route with real ids or arbitrary text in its parameters. */
const pathFor = (template: string, junk: string | null) =>
  template
    .replace('{appId}', junk ?? ids.applicationId)
    .replace('{msgId}', junk ?? ids.messageId)
    .replace('{pinId}', junk ?? ids.pinId);

describe('arbitrary input', () => {
  it('never answers 5xx, always in an Infobip envelope that matches the schema, for any JSON body on any operation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        // `.` and `..` are dot-segments: URL resolution removes them before any request is made.
        fc.option(
          fc
            .string({ maxLength: 12 })
            .filter((v) => v !== '.' && v !== '..')
            .map(encodeURIComponent),
          { nil: null },
        ),
        fc.jsonValue({ maxDepth: 3 }),
        async (route, junk, body) => {
          const res = await api.call(
            route.method,
            pathFor(route.template, junk || null),
            route.method === 'GET' ? undefined : body,
          );
          expect(res.status).toBeLessThan(500);
          expect(res.headers.get('x-request-id')).toBeTruthy();
          if (res.status >= 400)
            expect(res.body.requestError.serviceException.text).toEqual(expect.any(String));
        },
      ),
      { numRuns: 300 },
    );
    expect((await api.get(`/2fa/2/applications/${ids.applicationId}`)).status).toBe(200);
  });

  it('survives raw garbage bytes and broken percent-encoding', async () => {
    const bad = await api.call(
      'POST',
      '/2fa/2/pin/%E0%A4%A/verify',
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]).toString('latin1'),
    );
    expect(bad.status).toBe(400);
    const unknown = await api.post('/2fa/2/pin/%E0%A4%A/verify', { pin: '1234' });
    expect(unknown.status).toBe(404);
    expect((await api.get('/2fa/2/applications')).status).toBe(200);
  });
});
