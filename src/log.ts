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

/**
 * Interaction replies go to `/interactions/{id}/{token}/…` and follow-ups to
 * `/webhooks/{application}/{token}/…`: such a token lets anyone answer in the member's name for
 * 15 minutes, and discord.js errors carry the URL in their message and fields.
 */
const URL_TOKEN = /(\/(?:interactions|webhooks)\/\d+\/)[^/?\s"']+/g;

/** `text` with interaction and webhook tokens in URLs replaced. */
export function withoutUrlTokens(text: string): string {
  return text.replace(URL_TOKEN, '$1[redacted]');
}

/** pino's error serializer, with every string field cleared of URL tokens. */
function serializeError(error: Error): Record<string, unknown> {
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(serialized).map(([key, value]) => [key, typeof value === 'string' ? withoutUrlTokens(value) : value]),
  );
}

/** The redaction of secrets and of URL tokens in errors, as pino (and a child logger) takes it. */
const REDACTION = { redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: { err: serializeError } };

/** Creates the application logger. */
export function createLogger({ level, destination = 'stdout' }: LoggerOptions): Logger {
  const stream =
    destination === 'stdout'
      ? pino.destination({ dest: 1, sync: true })
      : destination === 'stderr'
        ? pino.destination({ dest: 2, sync: true })
        : pino.destination({ dest: destination.file, mkdir: true, append: true, sync: true });
  return pino({ level, ...REDACTION }, stream);
}

/**
 * A child of a logger the bot did not create (a host bot's) that redacts like {@link createLogger}:
 * the host's own configuration knows nothing of interaction tokens.
 */
export function redactingLogger(logger: Logger): Logger {
  return logger.child({}, REDACTION);
}
