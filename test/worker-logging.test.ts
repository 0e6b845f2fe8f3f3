import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../worker/logging';
import { maskDestination, maskText } from '../domain/destination';
import { redact } from '../worker/redact';

describe('log redaction', () => {
  it('masks phone numbers and addresses, keeps IDs and timestamps intact', () => {
    expect(maskDestination('+41793026727')).toBe('+41•••••6727');
    const text = maskText(
      'to +41793026727 (41 79 302 67 27) run 12345678-1234-5678-1234-567812345678 at 2026-11-25T18:30:20Z mail john@example.com',
    );
    expect(text).toBe(
      'to +41•••••6727 (+41•••••6727) run 12345678-1234-5678-1234-567812345678 at 2026-11-25T18:30:20Z mail j•••@example.com',
    );
  });

  it('drops codes and secrets wherever they appear, keeps error codes', () => {
    const out = redact({
      workflowId: 'otp-login-1234567',
      code: '123456',
      input: { pin: '654321', destination: '+41793026727', apiKey: 'k' },
      err: Object.assign(new Error('verify for 41793026727 failed'), { code: 'INFOBIP_HTTP' }),
    }) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(out.workflowId).toBe('otp-login-1234567');
    expect(out.code).toBe('[redacted]');
    expect(out.input).toEqual({ pin: '[redacted]', destination: '+41•••••6727', apiKey: '[redacted]' });
    expect(out.err).toMatchObject({
      type: 'Error',
      code: 'INFOBIP_HTTP',
      message: 'verify for +41•••••6727 failed',
    });
  });

  it('writes JSON lines through the redaction', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger('info', sink);
    logger.info({ to: '+41793026727', code: '123456' }, 'sent to +41793026727');
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({
      level: 'info',
      service: 'otpflow',
      to: '+41•••••6727',
      code: '[redacted]',
      msg: 'sent to +41•••••6727',
    });
    expect(lines[0]).not.toContain('793026727');
  });
});
