/**
 * `parseDeliveryReports`, the parser the report ingress uses: Infobip's documented SMS and voice
 * report bodies, unknown fields ignored, every malformed body refused with the place named.
 */
import { describe, expect, it } from 'vitest';
import { InfobipReportError, parseDeliveryReports, parseInfobipTime } from '../infobip';

/** Infobip's example of an SMS report ("Receive outbound SMS message report"), one entry. */
const SMS = {
  results: [
    {
      bulkId: 'BULK-ID-123-xyz',
      messageId: '32ddd1a1-9ace-4b99-95c0-add44c3363af',
      to: '41793026727',
      sentAt: '2019-11-09T16:00:00.000+0000',
      doneAt: '2019-11-09T16:00:02.500+0000',
      smsCount: 1,
      callbackData: 'callbackData',
      price: { pricePerMessage: 0.01, currency: 'EUR' },
      status: {
        groupId: 3,
        groupName: 'DELIVERED',
        id: 5,
        name: 'DELIVERED_TO_HANDSET',
        description: 'Message delivered to handset',
      },
      error: {
        groupId: 0,
        groupName: 'Ok',
        id: 0,
        name: 'NO_ERROR',
        description: 'No Error',
        permanent: false,
      },
      entityId: 'promotional-traffic-entity',
      applicationId: 'marketing-automation-application',
    },
  ],
};

/** The Voice API's report shape. */
const VOICE = {
  results: [
    {
      bulkId: '8c20f086-d82b-48cc-b2b3-3ca5f7aca9fb',
      messageId: 'ff4804ef-6ab6-4abd-984d-ab3b1387e852',
      from: '385333444',
      to: '385981178',
      sentAt: '2018-06-25T13:38:14.730+0000',
      mccMnc: '21901',
      voiceCall: {
        feature: 'Voice-message',
        startTime: '2018-06-25T13:38:15.000+0000',
        answerTime: '2018-06-25T13:38:25.000+0000',
        endTime: '2018-06-25T13:38:28.316+0000',
        duration: 10,
        chargedDuration: 30,
        fileDuration: 19.3,
        dtmfCodes: '3, 9',
        ivr: { scenarioId: '333' },
      },
      price: { pricePerSecond: 0.01, currency: 'EUR' },
      status: { groupId: 2, groupName: 'UNDELIVERABLE', id: 9, name: 'UNDELIVERABLE_NOT_DELIVERED' },
      error: {
        groupId: 1,
        groupName: 'HANDSET_ERRORS',
        id: 27,
        name: 'EC_ABSENT_SUBSCRIBER',
        permanent: true,
      },
    },
  ],
};

const clone = <T>(v: T): T => structuredClone(v);

function failure(body: unknown): InfobipReportError {
  try {
    parseDeliveryReports(body);
  } catch (err) {
    expect(err).toBeInstanceOf(InfobipReportError);
    return err as InfobipReportError;
  }
  throw new Error('parseDeliveryReports accepted a malformed body');
}

describe('parseDeliveryReports', () => {
  it('reads an SMS report: group, finality, channel, times in ms', () => {
    const [r, ...rest] = parseDeliveryReports(SMS);
    expect(rest).toEqual([]);
    expect(r).toMatchObject({
      messageId: '32ddd1a1-9ace-4b99-95c0-add44c3363af',
      to: '41793026727',
      channel: 'SMS',
      group: 'DELIVERED',
      final: true,
      permanent: false,
      sentAtMs: Date.UTC(2019, 10, 9, 16, 0, 0),
      doneAtMs: Date.UTC(2019, 10, 9, 16, 0, 2, 500),
    });
    expect(r?.status.name).toBe('DELIVERED_TO_HANDSET');
    expect((r?.raw as { entityId?: string }).entityId).toBe('promotional-traffic-entity');
  });

  it('reads a voice report, its permanence, and several results in one body', () => {
    const body = { results: [...VOICE.results, ...SMS.results] };
    const [voice, sms] = parseDeliveryReports(body);
    expect(voice).toMatchObject({ channel: 'VOICE', group: 'UNDELIVERABLE', final: true, permanent: true });
    expect(voice?.doneAtMs).toBeUndefined();
    expect(sms?.channel).toBe('SMS');
  });

  it('takes the raw text or bytes of a request, and ignores fields it does not know', () => {
    const body = clone(SMS) as { results: Array<Record<string, unknown>>; extra?: unknown };
    body.extra = { anything: true };
    body.results[0]!.futureField = [1, 2];
    (body.results[0]!.status as Record<string, unknown>).action = 'none';
    expect(parseDeliveryReports(JSON.stringify(body))[0]?.group).toBe('DELIVERED');
    expect(parseDeliveryReports(Buffer.from(JSON.stringify(body)))[0]?.group).toBe('DELIVERED');
  });

  it('maps every status group by id, falls back to the name, and marks PENDING and unknown groups not final', () => {
    const groups = [1, 2, 3, 4, 5].map((groupId) => {
      const body = clone(SMS);
      body.results[0]!.status = { groupId } as never;
      return parseDeliveryReports(body)[0];
    });
    expect(groups.map((g) => [g?.group, g?.final])).toEqual([
      ['PENDING', false],
      ['UNDELIVERABLE', true],
      ['DELIVERED', true],
      ['EXPIRED', true],
      ['REJECTED', true],
    ]);
    const byName = clone(SMS);
    byName.results[0]!.status = { groupName: 'rejected' } as never;
    expect(parseDeliveryReports(byName)[0]?.group).toBe('REJECTED');
    const unknown = clone(SMS);
    unknown.results[0]!.status = { groupId: 9, groupName: 'SOMETHING_NEW' } as never;
    expect(parseDeliveryReports(unknown)[0]).toMatchObject({ group: 'UNKNOWN', final: false });
  });

  it('an empty results array is no reports', () => {
    expect(parseDeliveryReports({ results: [] })).toEqual([]);
  });

  it.each([
    ['not JSON', '{"results": [', ''],
    ['not an object', [SMS], ''],
    ['null', null, ''],
    ['results missing', { reports: [] }, 'results'],
    ['results not an array', { results: {} }, 'results'],
    ['an entry not an object', { results: ['x'] }, 'results[0]'],
    ['messageId missing', { results: [{ ...SMS.results[0], messageId: undefined }] }, 'results[0].messageId'],
    ['messageId empty', { results: [{ ...SMS.results[0], messageId: ' ' }] }, 'results[0].messageId'],
    ['to a number', { results: [{ ...SMS.results[0], to: 41793026727 }] }, 'results[0].to'],
    ['status missing', { results: [{ ...SMS.results[0], status: undefined }] }, 'results[0].status'],
    ['status without group', { results: [{ ...SMS.results[0], status: { id: 5 } }] }, 'results[0].status'],
    [
      'groupId a string',
      { results: [{ ...SMS.results[0], status: { groupId: '3' } }] },
      'results[0].status.groupId',
    ],
    [
      'permanent a string',
      { results: [{ ...SMS.results[0], error: { ...SMS.results[0]!.error, permanent: 'no' } }] },
      'results[0].error.permanent',
    ],
    ['sentAt not a time', { results: [{ ...SMS.results[0], sentAt: 'yesterday' }] }, 'results[0].sentAt'],
    ['smsCount fractional', { results: [{ ...SMS.results[0], smsCount: 1.5 }] }, 'results[0].smsCount'],
    [
      'voiceCall.duration a string',
      { results: [{ ...VOICE.results[0], voiceCall: { duration: '10' } }] },
      'results[0].voiceCall.duration',
    ],
    ['second entry broken', { results: [SMS.results[0], { messageId: 'x' }] }, 'results[1].to'],
  ])('refuses a body with %s, naming the place', (_what, body, where) => {
    const err = failure(body);
    expect(err.code).toBe('INFOBIP_BAD_REPORT');
    expect(err.path).toBe(where);
    expect(err.message).toContain(where === '' ? 'Delivery report body' : where);
  });
});

describe('parseInfobipTime', () => {
  it("reads Infobip's format and ISO 8601, and nothing else", () => {
    expect(parseInfobipTime('2019-11-09T16:00:00.000+0000')).toBe(Date.UTC(2019, 10, 9, 16));
    expect(parseInfobipTime('2019-11-09T18:00:00.000+0200')).toBe(Date.UTC(2019, 10, 9, 16));
    expect(parseInfobipTime('2019-11-09T16:00:00.000Z')).toBe(Date.UTC(2019, 10, 9, 16));
    expect(parseInfobipTime('soon')).toBeUndefined();
  });
});
