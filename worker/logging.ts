/** Structured JSON logs (pino) for the worker and the Temporal Runtime, with personal data masked. */
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';
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

const SDK_TO_PINO: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};
const PINO_TO_SDK: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'ERROR',
  silent: 'ERROR',
};

/** The Temporal Runtime logger (SDK, workflow and activity `log` calls) writing through `logger`. */
export function runtimeLogger(logger: Logger): DefaultLogger {
  return new DefaultLogger(PINO_TO_SDK[logger.level] ?? 'INFO', (entry: LogEntry) => {
    const { meta, message, level } = entry;
    logger[SDK_TO_PINO[level]]({ ...meta, source: 'temporal' }, message);
  });
}
