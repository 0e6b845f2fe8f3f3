/** Structured JSON logs (pino) for the worker and the Temporal Runtime, with personal data masked. */
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';
import type { Logger } from './json-logger';

export { createLogger, type Logger } from './json-logger';

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
