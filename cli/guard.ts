/**
 * `otpflow guard status|block|unblock`: the abuse guard for operators, over Temporal directly
 * (like the verification commands). Blocks record who asked: `--by`, else `cli:<user>`.
 */
import { userInfo } from 'node:os';
import { infobipDurationMs } from '../config/infobip-durations';
import { InvalidInputError } from '../domain/errors';
import type { GuardView, PrefixBlock } from '../domain/guard-types';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes';
import type { CliIo } from './output';
import { GLOBAL_OPTIONS, print, runCommand, type Command, type ConfigLoader } from './verifications';

export const GUARD_USAGE = `Usage: otpflow guard <status|block|unblock> [options]

The abuse guard of an application (README: "Fraud and abuse").
  status [--app NAME]
        blocked prefixes (rule, why, until when), prefixes over their velocity
        limit, the busiest prefixes and the last blocks lifted
  block <prefix> --reason TEXT [--for DURATION] [--app NAME] [--by NAME]
        refuse starts to numbers under <prefix> (+44791) for DURATION
        (seconds, or 15m, 1h, 2d; default 1h)
  unblock <prefix> [--reason TEXT] [--app NAME] [--by NAME]
        lift a block; exit 1 when the prefix was not blocked
--app may be left out when one application is declared; --by defaults to cli:<user>.

${GLOBAL_OPTIONS}

${EXIT_CODES_HELP}`;

const who = (v: Record<string, unknown>) => (v.by as string | undefined) ?? `cli:${safeUser()}`;

function safeUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `3600`, `15m`, `1h`, `2d` → seconds. Throws `InvalidInputError` (field `for`). */
export function durationSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  const ms = /^\d+(s|m|h|d)$/.test(text) ? infobipDurationMs(text) : undefined;
  if (ms === undefined)
    throw new InvalidInputError('for', 'must be seconds or a duration such as 15m, 1h, 2d');
  return ms / 1000;
}

const line = (b: PrefixBlock) =>
  `  ${b.prefix.padEnd(12)} ${b.rule.padEnd(10)} until ${b.until}${b.by ? `  by ${b.by}` : ''}\n      ${b.reason}`;

/** Human lines for a guard's view. */
export function formatGuard(v: GuardView): string {
  const out = [`Abuse guard of ${v.application} (${v.at})`];
  out.push(v.blocks.length ? `Blocked prefixes:\n${v.blocks.map(line).join('\n')}` : 'No prefix is blocked.');
  if (v.limited.length)
    out.push(
      `Over their velocity limit:\n${v.limited.map((l) => `  ${l.prefix.padEnd(12)} ${l.sends}/${l.max} in ${l.windowSeconds} s, until ${l.until}`).join('\n')}`,
    );
  if (v.prefixes.length) {
    const rows = v.prefixes.map(
      (p) =>
        `  ${p.prefix.padEnd(12)} ${String(p.sends).padStart(6)} sent ${String(p.verified).padStart(6)} verified` +
        `${p.conversion !== undefined ? `  conversion ${p.conversion}` : ''}  recent ${p.recentSends} (baseline ${p.baseline})`,
    );
    out.push(`Busiest prefixes:\n${rows.join('\n')}`);
  }
  if (v.lifted.length) {
    const rows = v.lifted.map(
      (b) =>
        `  ${b.prefix.padEnd(12)} ${b.rule.padEnd(10)} lifted ${b.liftedAt}: ${b.liftReason}${b.liftedBy ? ` (${b.liftedBy})` : ''}`,
    );
    out.push(`Lifted lately:\n${rows.join('\n')}`);
  }
  return out.join('\n\n');
}

const GUARD_COMMANDS: Record<string, Command> = {
  status: {
    usage: 'otpflow guard status [--app NAME]',
    about:
      'Shows the blocked prefixes (rule, why, until when), the prefixes over their velocity limit,\nthe busiest prefixes and the blocks lifted lately.',
    positionals: [],
    options: { app: { type: 'string' } },
    async run({ otp }, _args, v, io, json) {
      const view = await otp.guard.status(v.app as string | undefined);
      print(io, json, view, formatGuard(view));
      return ExitCode.OK;
    },
  },
  block: {
    usage: 'otpflow guard block <prefix> --reason TEXT [--for DURATION] [--app NAME] [--by NAME]',
    about:
      'Refuses starts to numbers under <prefix> (+44791) for DURATION (seconds, or 15m, 1h, 2d;\ndefault 1h), recording who (--by, default cli:<user>) and why.',
    positionals: ['prefix'],
    options: {
      app: { type: 'string' },
      reason: { type: 'string' },
      for: { type: 'string' },
      by: { type: 'string' },
    },
    async run({ otp }, [prefix], v, io, json) {
      const block = await otp.guard.block(v.app as string | undefined, {
        prefix: prefix as string,
        reason: (v.reason as string | undefined) ?? '',
        seconds: durationSeconds(v.for as string | undefined),
        by: who(v),
      });
      print(io, json, block, `Blocked ${block.prefix} until ${block.until}.`);
      return ExitCode.OK;
    },
  },
  unblock: {
    usage: 'otpflow guard unblock <prefix> [--reason TEXT] [--app NAME] [--by NAME]',
    about: 'Lifts the block of <prefix>. Exit 1 when it was not blocked.',
    positionals: ['prefix'],
    options: { app: { type: 'string' }, reason: { type: 'string' }, by: { type: 'string' } },
    async run({ otp }, [prefix], v, io, json) {
      const lifted = await otp.guard.unblock(v.app as string | undefined, {
        prefix: prefix as string,
        reason: v.reason as string | undefined,
        by: who(v),
      });
      print(
        io,
        json,
        { lifted },
        lifted ? `Lifted the block of ${lifted.prefix}.` : `${prefix} was not blocked.`,
      );
      return lifted ? ExitCode.OK : ExitCode.FAILED;
    },
  },
};

/** Runs `otpflow guard …`; resolves to its exit code. */
export function runGuardCli(
  argv: string[],
  io: CliIo,
  env: NodeJS.ProcessEnv,
  load?: ConfigLoader,
): Promise<number> | number {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help' || sub === 'help') {
    io.out(GUARD_USAGE);
    return sub === undefined ? ExitCode.BAD_INPUT : ExitCode.OK;
  }
  const command = Object.hasOwn(GUARD_COMMANDS, sub) ? GUARD_COMMANDS[sub] : undefined;
  if (!command) {
    io.err(`otpflow guard: unknown subcommand "${sub}"\n\n${GUARD_USAGE}`);
    return ExitCode.BAD_INPUT;
  }
  return runCommand(`guard ${sub}`, command, rest, io, env, load);
}
