/**
 * The structured logger (pino, JSON lines).
 *
 * @module
 */
import pino from 'pino';
import type { Logger } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger } from 'pino';

/** Where log lines go: a standard stream, or a file path (appended to, folders created). */
export type LogDestination = 'stdout' | 'stderr' | { file: string };

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level: LogLevel;
  /**
   * `stdout` for the bot; the local console must use `stderr` or a file so log lines never mix
   * with the replies it prints on stdout.
   */
  destination?: LogDestination;
}

/** Secrets that must never reach a log line, wherever they are nested one level deep. */
const REDACTED_PATHS = ['token', '*.token', 'discordToken', '*.discordToken', 'headers.authorization'];

/** Creates the application logger. */
export function createLogger({ level, destination = 'stdout' }: LoggerOptions): Logger {
  const stream =
    destination === 'stdout'
      ? pino.destination({ dest: 1, sync: true })
      : destination === 'stderr'
        ? pino.destination({ dest: 2, sync: true })
        : pino.destination({ dest: destination.file, mkdir: true, append: true, sync: true });
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, stream);
}
