/**
 * THE exit-code table of every `otpflow` command: the verification commands and the process
 * commands (`dev`, `cluster`, `worker`, `api`, `emulator`, `setup`) alike. `otpflow --help` prints it and
 * the README lists it.
 */
export const ExitCode = {
  /** The command did what was asked (a code was verified, a verification started, a process stopped cleanly, …). */
  OK: 0,
  /** It did not succeed or was refused: wrong code, expired, locked, cancelled, already finished, resend refused, a start that sent no PIN (rate limited, undeliverable, Infobip refused), a start refused by the abuse guard (destination locked, velocity limit, blocked prefix); a process that failed. */
  FAILED: 1,
  /** Bad input or usage: unknown command or option, malformed code, invalid number, unknown application. */
  BAD_INPUT: 2,
  /** Temporal (or, for a check, a start or a resend, Infobip) could not be reached; nothing changed, try again. */
  UNREACHABLE: 3,
  /** No verification with that ID. */
  NOT_FOUND: 4,
  /** A bug: an error nobody expected (sysexits EX_SOFTWARE). */
  INTERNAL: 70,
  /** The configuration is invalid: a bad applications file or environment variable, or one the workers refused (another hash key, no encryption keys) (sysexits EX_CONFIG). */
  CONFIG: 78,
  /** `otpflow dev` or `otpflow cluster` got a second Ctrl-C and killed everything at once (128 + SIGINT). */
  INTERRUPTED: 130,
} as const;

/** The table as `otpflow --help` prints it. */
export const EXIT_CODES_HELP = `Exit codes:
  0  success (verified, started, cancelled, a process stopped cleanly, …)
  1  did not succeed: wrong code, expired, locked, cancelled, already finished,
     resend refused (cooldown: the message says when to retry), a start that
     sent no PIN (rate limited, undeliverable, Infobip refused), a start refused
     by the abuse guard (destination locked, velocity limit, blocked prefix: the
     message says when to retry); a process failed
  2  bad input or usage: unknown command or option, malformed code, invalid
     number, unknown application
  3  Temporal (or, for a check, a start or a resend, Infobip) unreachable;
     nothing changed, retry
  4  no verification with that ID
  70 internal error (a bug)
  78 configuration error: bad applications file or environment variable, or
     one the workers refused (another hash key, missing encryption keys)
  130 otpflow dev or cluster: a second Ctrl-C killed everything at once`;
