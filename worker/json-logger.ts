/**
 * The one log format of otpflow's processes (worker, API, dev stack): pino JSON lines with
 * level names (`"level":"info"`) and ISO times, personal data masked. Free of the Temporal
 * SDK, so the API process loads no worker code for it.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { WorkerProcessConfig } from '../config/types';
import { maskText } from '../domain/destination';
import { redact } from './redact';

export type { Logger } from 'pino';

/**
 * A pino logger whose every record passes through `redact`: codes never appear, phone
 * numbers and e-mail addresses appear masked. Writes JSON lines to `destination` (stdout).
 */
export function createLogger(
  level: WorkerProcessConfig['logLevel'] = 'info',
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level,
      base: { service: 'otpflow' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redact(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // The message string is not part of `obj`: mask it too.
          const masked = args.map((a) => (typeof a === 'string' ? maskText(a) : a)) as typeof args;
          method.apply(this, masked);
        },
      },
    },
    destination,
  );
}
