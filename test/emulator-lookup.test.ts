import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createEmulator,
  LOOKUP_COUNTRIES,
  LOOKUP_SUFFIXES,
  lookupOutcome,
  testNumber,
  TOO_MANY_DESTINATIONS,
  type Emulator,
  type LookupOutcome,
} from '../emulator';
/** A lookup result as the tests read it (schema-checked by the client). */
type Result = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

import { emulatorClient, OpenApiValidator, SchemaMismatchError, type EmulatorClient } from './kits/emulator';

let emu: Emulator;
let api: EmulatorClient;

beforeAll(async () => {
  emu = await createEmulator({ lookupTable: { '41791112233': 'NO_SMS' } });
  api = emulatorClient(emu.url);
});
afterAll(() => emu.close());

const query = (to: unknown) => api.post('/number/1/query', { to });

describe('number lookup', () => {
  it('answers a reachable Swiss number with Swisscom network data', async () => {
    const res = await query(['41793026727']);
    expect(res.status).toBe(200);
    expect(res.body.bulkId).toEqual(expect.any(String));
    expect(res.body.results).toEqual([
      {
        to: '41793026727',
        mccMnc: '22801',
        imsi: expect.stringMatching(/^22801\d{10}$/),
        originalNetwork: {
          networkName: 'Swisscom',
          networkPrefix: '79',
          countryName: 'Switzerland',
          countryPrefix: '41',
          networkId: expect.any(Number),
        },
        ported: false,
        roaming: false,
        servingMSC: expect.any(String),
        status: {
          groupId: 3,
          groupName: 'DELIVERED',
          id: 5,
          name: 'DELIVERED_TO_HANDSET',
          description: expect.any(String),
        },
        error: {
          groupId: 0,
          groupName: 'OK',
          id: 0,
          name: 'NO_ERROR',
          description: 'No Error',
          permanent: false,
        },
      },
    ]);
  });

  const expected: Array<[LookupOutcome, string, string, string | undefined, boolean | undefined]> = [
    ['ABSENT', 'UNDELIVERABLE', 'UNDELIVERABLE_NOT_DELIVERED', 'EC_ABSENT_SUBSCRIBER', false],
    ['ABSENT_SM', 'UNDELIVERABLE', 'UNDELIVERABLE_NOT_DELIVERED', 'EC_ABSENT_SUBSCRIBER_SM', false],
    ['UNKNOWN_SUBSCRIBER', 'UNDELIVERABLE', 'UNDELIVERABLE_NOT_DELIVERED', 'EC_UNKNOWN_SUBSCRIBER', true],
    ['BAD_PREFIX', 'REJECTED', 'REJECTED_PREFIX_MISSING', 'NO_ERROR', false],
    ['REJECTED_DESTINATION', 'REJECTED', 'REJECTED_DESTINATION', 'NO_ERROR', false],
    ['NO_SMS', 'UNDELIVERABLE', 'UNDELIVERABLE_NOT_DELIVERED', 'EC_TELESERVICE_NOT_PROVISIONED', true],
    ['PORTED', 'DELIVERED', 'DELIVERED_TO_HANDSET', 'NO_ERROR', false],
    ['ROAMING', 'DELIVERED', 'DELIVERED_TO_HANDSET', 'NO_ERROR', false],
  ];
  it.each(expected)(
    'produces %s from the suffix table in every known country',
    async (outcome, group, status, error, permanent) => {
      const numbers = LOOKUP_COUNTRIES.map((c) => testNumber(outcome, c.countryPrefix));
      const res = await query(numbers);
      expect(res.body.results).toHaveLength(numbers.length);
      for (const [i, r] of (res.body.results as Result[]).entries()) {
        expect(r.to).toBe(numbers[i]);
        expect(r.status).toMatchObject({ groupName: group, name: status });
        expect(r.error).toMatchObject({ name: error, permanent });
        if (outcome === 'PORTED') {
          expect(r.ported).toBe(true);
          expect(r.portedNetwork.networkName).not.toBe(r.originalNetwork.networkName);
          expect(r.portedNetwork.countryPrefix).toBe(LOOKUP_COUNTRIES[i]?.countryPrefix);
        }
        if (outcome === 'ROAMING') {
          expect(r.roaming).toBe(true);
          expect(r.roamingNetwork.countryPrefix).not.toBe(r.originalNetwork.countryPrefix);
        }
        if (group !== 'REJECTED')
          expect(r.originalNetwork.countryName).toBe(LOOKUP_COUNTRIES[i]?.countryName);
      }
    },
  );

  it('knows networks in Switzerland, Germany, the UK and the US by prefix', async () => {
    const res = await query(['4917012345678', '447712345678', '12125551234', '41781234567', '+41761234567']);
    expect(res.body.results.map((r: Result) => [r.originalNetwork.networkName, r.mccMnc])).toEqual([
      ['Telekom Deutschland', '26201'],
      ['EE', '23430'],
      ['T-Mobile USA', '310260'],
      ['Salt', '22803'],
      ['Sunrise', '22802'],
    ]);
  });

  it('treats other well-formed numbers as reachable, and malformed strings as REJECTED_DESTINATION', async () => {
    const res = await query(['8613800138000', 'hello', '123', '+', '9'.repeat(300)]);
    const [cn, ...bad] = res.body.results as Result[];
    expect(cn?.status.name).toBe('DELIVERED_TO_HANDSET');
    expect(cn?.mccMnc).toBe('00101');
    expect(bad.map((r) => r.status.name)).toEqual(Array(4).fill('REJECTED_DESTINATION'));
    expect(bad[3]?.to).toHaveLength(256);
  });

  it('accepts 1000 numbers and rejects 1001 with Infobip’s text', async () => {
    const ok = await query(Array.from({ length: 1000 }, () => testNumber()));
    expect(ok.status).toBe(200);
    expect(ok.body.results).toHaveLength(1000);
    const over = await query(Array.from({ length: 1001 }, () => testNumber()));
    expect(over.status).toBe(400);
    expect(over.body.requestError.serviceException).toEqual({
      messageId: 'BAD_REQUEST',
      text: TOO_MANY_DESTINATIONS,
    });
  });

  it('rejects a missing, empty or non-array to, and non-string entries', async () => {
    for (const body of [{}, { to: [] }, { to: '41793026727' }, { to: ['41793026727', 41793026727] }]) {
      const res = await api.post('/number/1/query', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.requestError.serviceException.messageId).toBe('BAD_REQUEST');
    }
    const typed = await query(['41793026727', 5]);
    expect(typed.body.requestError.serviceException.validationErrors).toEqual({
      'to[1]': ['must be a string'],
    });
  });

  it('uses the lookupTable option before the suffix table', async () => {
    const res = await query(['41791112233']);
    expect(res.body.results[0].error.name).toBe('EC_TELESERVICE_NOT_PROVISIONED');
  });
});

describe('test-number helpers', () => {
  it('testNumber makes fresh numbers whose outcome matches', () => {
    const outcomes = ['REACHABLE', ...new Set(Object.values(LOOKUP_SUFFIXES))] as LookupOutcome[];
    for (const outcome of outcomes) {
      const a = testNumber(outcome);
      expect(lookupOutcome(a)).toBe(outcome);
      expect(a).toMatch(/^41\d{9}$/);
    }
    const many = new Set(Array.from({ length: 200 }, () => testNumber()));
    expect(many.size).toBeGreaterThan(190);
    for (const n of many) expect(lookupOutcome(n)).toBe('REACHABLE');
  });
});

describe('schema validation of the tests themselves', () => {
  it('catches a misspelt field and a wrong type', () => {
    const v = new OpenApiValidator();
    expect(() =>
      v.assertValid('POST', '/2fa/2/pin/{pinId}/verify', 200, {
        pinId: 'x',
        verified: true,
        attemptsRemaining: 0,
      }),
    ).not.toThrow();
    expect(() =>
      v.assertValid('POST', '/2fa/2/pin/{pinId}/verify', 200, { pinId: 'x', verifed: true }),
    ).toThrow(SchemaMismatchError);
    expect(() => v.assertValid('POST', '/number/1/query', 200, { results: [{ to: 1 }] })).toThrow(
      SchemaMismatchError,
    );
  });
});
