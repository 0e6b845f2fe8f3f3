/**
 * `otpflow guard` without a Temporal server: its help and usage errors (exit codes of the one
 * table), durations as operators type them, and the human form of a guard's state. Blocking and
 * unblocking for real run in `guard-workflow.test.ts` (library) and `api-guard.test.ts` (HTTP).
 */
import { describe, expect, it } from 'vitest';
import { durationSeconds, formatGuard, runGuardCli } from '../cli/guard';
import { ExitCode } from '../cli/exit-codes';
import type { CliIo } from '../cli/output';
import { InvalidInputError } from '../domain/errors';

function capture(): CliIo & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (t) => void out_.push(t), err: (t) => void err_.push(t) };
}

describe('otpflow guard', () => {
  it('prints its help (exit 0), and a usage error for no or an unknown subcommand (exit 2)', async () => {
    const help = capture();
    expect(await runGuardCli(['--help'], help, {})).toBe(ExitCode.OK);
    expect(help.out_.join('\n')).toMatch(/status \[--app NAME\][\s\S]*block <prefix> --reason TEXT/);

    const none = capture();
    expect(await runGuardCli([], none, {})).toBe(ExitCode.BAD_INPUT);
    const unknown = capture();
    expect(await runGuardCli(['lift', '+44791'], unknown, {})).toBe(ExitCode.BAD_INPUT);
    expect(unknown.err_.join('\n')).toContain('unknown subcommand "lift"');
  });

  it('answers each subcommand’s --help and refuses a missing prefix before connecting', async () => {
    const help = capture();
    expect(await runGuardCli(['block', '--help'], help, {})).toBe(ExitCode.OK);
    expect(help.out_.join('\n')).toContain('Refuses starts to numbers under <prefix>');
    const missing = capture();
    expect(await runGuardCli(['unblock'], missing, {})).toBe(ExitCode.BAD_INPUT);
    expect(missing.err_.join('\n')).toContain('expected <prefix>');
  });

  it('reads durations as seconds or 15m, 1h, 2d, and names the field of a bad one', () => {
    expect(durationSeconds(undefined)).toBeUndefined();
    expect(durationSeconds('90')).toBe(90);
    expect(durationSeconds('15m')).toBe(900);
    expect(durationSeconds('1h')).toBe(3600);
    expect(durationSeconds('2d')).toBe(172_800);
    for (const bad of ['1w', 'soon', '-5', '1.5h']) {
      const err = (() => {
        try {
          durationSeconds(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(err, bad).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).field).toBe('for');
    }
  });

  it('shows blocks with their rule, reason and end, and the busiest prefixes', () => {
    const text = formatGuard({
      application: 'login',
      at: '2026-01-01T00:00:00.000Z',
      blocks: [
        {
          prefix: '+44791',
          rule: 'SPIKE',
          since: '2026-01-01T00:00:00.000Z',
          until: '2026-01-01T01:00:00.000Z',
          reason: '120 sends in 10 min against a baseline of 3',
        },
      ],
      limited: [],
      prefixes: [{ prefix: '+41791', sends: 40, verified: 36, conversion: 0.9, recentSends: 4, baseline: 3 }],
      lifted: [],
    });
    expect(text).toContain('+44791');
    expect(text).toContain('SPIKE');
    expect(text).toContain('until 2026-01-01T01:00:00.000Z');
    expect(text).toContain('120 sends in 10 min against a baseline of 3');
    expect(text).toMatch(/\+41791\s+40 sent\s+36 verified\s+conversion 0\.9/);
    expect(formatGuard({ ...emptyView(), blocks: [] })).toContain('No prefix is blocked.');
  });
});

function emptyView() {
  return {
    application: 'login',
    at: '2026-01-01T00:00:00.000Z',
    blocks: [],
    limited: [],
    prefixes: [],
    lifted: [],
  };
}
