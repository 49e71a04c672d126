/**
 * Environment configuration. Every setting comes from an environment variable (a `.env` file is
 * read by {@link loadEnvironment}); {@link loadConfig} validates them all at once so a bad
 * deployment fails at start with one message naming every wrong variable and the expected form.
 *
 * @module
 */
import dotenv from 'dotenv';
import { DEFAULT_FULL_BUDGET_MINUTES } from './training/job-settings.ts';
import { DEFAULT_FULL_RETRAIN_MIN_INTERVAL_HOURS, DEFAULT_MAX_ATTEMPTS } from './training/service.ts';
import { DEFAULT_WORKER_MAX_HEAP_MB } from './training/worker-runner.ts';

/** The log levels pino knows, quietest last. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The TensorFlow.js backends that can be forced. */
export const TF_BACKENDS = ['node', 'wasm', 'cpu'] as const;

/** A TensorFlow.js backend name. */
export type TfBackend = (typeof TF_BACKENDS)[number];

/** The validated configuration. */
export interface Config {
  /** Bot token; only the Discord modes need it (see {@link requireDiscordCredentials}). */
  discordToken: string | null;
  /** Application (client) id; only the Discord modes need it. */
  discordClientId: string | null;
  /** When set, commands are deployed to this guild only (instant updates while developing). */
  devGuildId: string | null;
  dbPath: string;
  logLevel: LogLevel;
  /** REST base URL, without a trailing slash (a REST proxy or a test server can stand in). */
  discordApiUrl: string;
  retrainIntervalMinutes: number;
  /**
   * Sentences added or removed since a guild's newest model before the scheduler retrains it; also
   * the sentences a guild needs before its first model.
   */
  retrainMinChanges: number;
  trainingConcurrency: number;
  retrainBudgetMinutes: number;
  fullRetrainBudgetMinutes: number;
  /** Hours between two full retrains of a guild, whoever asks for them. */
  fullRetrainMinIntervalHours: number;
  /** Failed runs in a row after which the schedule stops retraining a guild until a retrain is asked for. */
  retrainMaxAttempts: number;
  /** V8 heap limit of a training worker thread, in MB: a run that needs more fails alone. */
  trainingWorkerMaxHeapMb: number;
  teachCooldownPerMinute: number;
  /** `/forget` runs one member may make per minute in one guild. */
  forgetCooldownPerMinute: number;
  modelVersionsKept: number;
  /** Forced backend; null lets the engine pick the fastest available. */
  tfBackend: TfBackend | null;
  /** Variables set under an old name, each with what to do about it: the application logs them as warnings. */
  deprecations: readonly ConfigProblem[];
}

/** The configuration with the Discord credentials known to be present. */
export type DiscordConfig = Config & { discordToken: string; discordClientId: string };

/** One invalid (or deprecated) variable. */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Thrown by {@link loadConfig}: lists every invalid variable with the expected form. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Environment variables as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

const SNOWFLAKE = /^\d{17,20}$/;

/** Reads each variable and records a problem instead of throwing, so all are reported together. */
class EnvReader {
  readonly problems: ConfigProblem[] = [];
  readonly deprecations: ConfigProblem[] = [];

  constructor(private readonly env: Environment) {}

  /** The trimmed value; an empty value counts as unset (as in `DEV_GUILD_ID=`). */
  raw(variable: string): string | null {
    const value = this.env[variable]?.trim();
    return value === undefined || value === '' ? null : value;
  }

  string(variable: string, fallback: string): string {
    return this.raw(variable) ?? fallback;
  }

  snowflake(variable: string): string | null {
    const value = this.raw(variable);
    if (value !== null && !SNOWFLAKE.test(value)) {
      this.fail(variable, `expected a Discord id (17 to 20 digits), got "${value}"`);
    }
    return value;
  }

  positiveInteger(variable: string, fallback: number): number {
    const value = this.raw(variable);
    if (value === null) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
      this.fail(variable, `expected a whole number of at least 1, got "${value}"`);
      return fallback;
    }
    return Number(value);
  }

  positiveNumber(variable: string, fallback: number): number {
    const value = this.raw(variable);
    if (value === null) return fallback;
    const parsed = Number(value);
    if (!/^\d*\.?\d+$/.test(value) || !(parsed > 0)) {
      this.fail(variable, `expected a number greater than 0, got "${value}"`);
      return fallback;
    }
    return parsed;
  }

  oneOf<T extends string>(variable: string, allowed: readonly T[], fallback: T): T;
  oneOf<T extends string>(variable: string, allowed: readonly T[], fallback: null): T | null;
  oneOf<T extends string>(variable: string, allowed: readonly T[], fallback: T | null): T | null {
    const value = this.raw(variable);
    if (value === null) return fallback;
    const match = allowed.find((candidate) => candidate === value.toLowerCase());
    if (match === undefined) {
      this.fail(variable, `expected one of ${allowed.join(', ')}, got "${value}"`);
      return fallback;
    }
    return match;
  }

  httpUrl(variable: string, fallback: string): string {
    const value = this.raw(variable);
    if (value === null) return fallback;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.fail(variable, `expected an http(s) URL such as ${fallback}, got "${value}"`);
      return fallback;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      this.fail(variable, `expected an http(s) URL such as ${fallback}, got "${value}"`);
      return fallback;
    }
    return value.replace(/\/+$/, '');
  }

  /**
   * Which of a renamed variable's names to read: the old one only while the new one is unset.
   * Either way, setting the old name is recorded as a deprecation.
   */
  renamed(oldName: string, newName: string): string {
    if (this.raw(oldName) === null) return newName;
    if (this.raw(newName) !== null) {
      this.deprecations.push({ variable: oldName, message: `ignored: ${newName} is set, and ${oldName} is its deprecated name` });
      return newName;
    }
    this.deprecations.push({ variable: oldName, message: `deprecated: rename it to ${newName}` });
    return oldName;
  }

  fail(variable: string, message: string): void {
    this.problems.push({ variable, message });
  }
}

/**
 * Validates the configuration from environment variables.
 *
 * @param env - the variables, `process.env` by default (call {@link loadEnvironment} first to
 *   include a `.env` file).
 * @throws ConfigError naming every invalid variable.
 */
export function loadConfig(env: Environment = process.env): Config {
  const read = new EnvReader(env);
  const config: Config = {
    discordToken: read.raw('DISCORD_TOKEN'),
    discordClientId: read.snowflake('DISCORD_CLIENT_ID'),
    devGuildId: read.snowflake('DEV_GUILD_ID'),
    dbPath: read.string('DB_PATH', 'data/bot.sqlite'),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    discordApiUrl: read.httpUrl('DISCORD_API_URL', 'https://discord.com/api'),
    retrainIntervalMinutes: read.positiveNumber('RETRAIN_INTERVAL_MINUTES', 10),
    // Renamed: removed sentences count as much as new ones.
    retrainMinChanges: read.positiveInteger(read.renamed('RETRAIN_MIN_NEW_SENTENCES', 'RETRAIN_MIN_CHANGES'), 5),
    trainingConcurrency: read.positiveInteger('TRAINING_CONCURRENCY', 1),
    retrainBudgetMinutes: read.positiveNumber('RETRAIN_BUDGET_MINUTES', 5),
    fullRetrainBudgetMinutes: read.positiveNumber('FULL_RETRAIN_BUDGET_MINUTES', DEFAULT_FULL_BUDGET_MINUTES),
    fullRetrainMinIntervalHours: read.positiveNumber('FULL_RETRAIN_MIN_INTERVAL_HOURS', DEFAULT_FULL_RETRAIN_MIN_INTERVAL_HOURS),
    retrainMaxAttempts: read.positiveInteger('RETRAIN_MAX_ATTEMPTS', DEFAULT_MAX_ATTEMPTS),
    trainingWorkerMaxHeapMb: read.positiveInteger('TRAINING_WORKER_MAX_HEAP_MB', DEFAULT_WORKER_MAX_HEAP_MB),
    teachCooldownPerMinute: read.positiveInteger('TEACH_COOLDOWN_PER_MINUTE', 10),
    forgetCooldownPerMinute: read.positiveInteger('FORGET_COOLDOWN_PER_MINUTE', 5),
    modelVersionsKept: read.positiveInteger('MODEL_VERSIONS_KEPT', 5),
    tfBackend: read.oneOf('TF_BACKEND', TF_BACKENDS, null),
    deprecations: read.deprecations,
  };
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}

/**
 * Checks that the Discord credentials are set, for the modes that talk to Discord.
 *
 * @throws ConfigError naming each missing variable.
 */
export function requireDiscordCredentials(config: Config): DiscordConfig {
  const { discordToken, discordClientId } = config;
  if (discordToken !== null && discordClientId !== null) {
    return { ...config, discordToken, discordClientId };
  }
  const problems: ConfigProblem[] = [];
  if (discordToken === null) {
    problems.push({ variable: 'DISCORD_TOKEN', message: 'required to connect to Discord (the bot token from the Developer Portal)' });
  }
  if (discordClientId === null) {
    problems.push({ variable: 'DISCORD_CLIENT_ID', message: 'required to connect to Discord (the application id, 17 to 20 digits)' });
  }
  throw new ConfigError(problems);
}

/**
 * Loads a `.env` file into `process.env` (variables already set win) and returns the validated
 * configuration.
 *
 * @param envFile - path of the file, `.env` in the working directory by default.
 */
export function loadEnvironment(envFile?: string): Config {
  // quiet: dotenv otherwise prints a banner on stdout, which would mix with the console's replies.
  dotenv.config({ quiet: true, ...(envFile === undefined ? {} : { path: envFile }) });
  return loadConfig(process.env);
}
