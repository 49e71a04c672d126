/**
 * Environment configuration. Every setting comes from an environment variable (a `.env` file is
 * read by {@link loadEnvironment}); {@link loadConfig} validates them all at once so a bad
 * deployment fails at start with one message naming every wrong variable and the expected form.
 *
 * @module
 */
import dotenv from 'dotenv';
import { DEFAULT_STALE_RUN_MS } from './store/index.ts';
import { DEFAULT_FULL_BUDGET_MINUTES } from './training/job-settings.ts';
import { DEFAULT_FULL_RETRAIN_MIN_INTERVAL_HOURS, DEFAULT_MAX_ATTEMPTS } from './training/schedule-settings.ts';
import { DEFAULT_WORKER_MAX_HEAP_MB } from './training/worker-runner.ts';

/** The log levels pino knows, quietest last. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The TensorFlow.js backends that can be forced. */
export const TF_BACKENDS = ['node', 'wasm', 'cpu'] as const;

/** A TensorFlow.js backend name. */
export type TfBackend = (typeof TF_BACKENDS)[number];

/** Uses of a command allowed per minute: by one member in a server, and by a whole server. */
export interface UseLimits {
  perMember: number;
  perServer: number;
}

/** The commands whose cost calls for limits per member and per server, and autocomplete. */
export const LIMITED_USES = ['explain', 'generate', 'predict', 'autocomplete'] as const;

/** A command (or autocomplete) limited per member and per server. */
export type LimitedUse = (typeof LIMITED_USES)[number];

/** The validated configuration. */
export interface Config {
  /** Bot token; only the Discord modes need it (see {@link requireDiscordCredentials}). */
  discordToken: string | null;
  /** Application (client) id; only the Discord modes need it. */
  discordClientId: string | null;
  /** When set, commands are deployed to this guild only (instant updates while developing). */
  devGuildId: string | null;
  /**
   * Where the store is: the PostgreSQL URL of `DATABASE_URL` when set, else the SQLite file of
   * `DB_PATH`.
   */
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
  /**
   * Whether this process trains (runs the schedule and claims queued runs). Shards of a sharded
   * bot leave it to a trainer process (`npm run trainer`) and only queue and follow runs.
   */
  trainInProcess: boolean;
  /**
   * How long a run claimed by a process on another host stays its own without a heartbeat; past
   * it, any trainer takes the run over. (A process on the same host is checked directly.)
   */
  runLeaseSeconds: number;
  /** Shards `npm run start:sharded` spawns; `auto` asks Discord for its recommendation. */
  shardCount: number | 'auto';
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
  /** Uses per minute of the expensive commands and of autocomplete. */
  cooldowns: Record<LimitedUse, UseLimits>;
  modelVersionsKept: number;
  /** Megabytes the serving models in memory may hold together, shared out among the threads that serve. */
  modelCacheMb: number;
  /** Minutes after which a model no request used leaves memory. */
  modelIdleMinutes: number;
  /** Worker threads that run `/generate` and `/explain`. */
  servingWorkers: number;
  /** Forced backend; null lets the engine pick the fastest available. */
  tfBackend: TfBackend | null;
  /** Port of the Prometheus endpoint (0: any free port); null serves no metrics. */
  metricsPort: number | null;
  /** Port of the trainer process's Prometheus endpoint (0: any free port); null serves none. */
  trainerMetricsPort: number | null;
  /** Address the metrics endpoint listens on; loopback unless set. */
  metricsHost: string;
  /** Folder of the bot's scheduled backups; null makes none. */
  backupDir: string | null;
  /** Hours between two scheduled backups. */
  backupEveryHours: number;
  /** Scheduled backups kept; older ones are deleted. */
  backupKeep: number;
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

/**
 * Default uses per minute. `/explain` measures for half a second to a second and `/generate`
 * runs up to 50 forward passes, in one serving thread: a server's share stays a small part of a
 * minute of it. `/predict` costs a few milliseconds; autocomplete one prediction per keystroke,
 * so a fast typist stays far below its limit.
 */
export const DEFAULT_COOLDOWNS: Record<LimitedUse, UseLimits> = {
  explain: { perMember: 2, perServer: 10 },
  generate: { perMember: 6, perServer: 30 },
  predict: { perMember: 20, perServer: 300 },
  autocomplete: { perMember: 120, perServer: 1200 },
};

/** Node's timers wait at most 2^31 - 1 ms, about 596 hours. */
const MAX_TIMER_HOURS = 596;

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

  positiveInteger(variable: string, fallback: number, min = 1): number {
    const value = this.raw(variable);
    if (value === null) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
      this.fail(variable, `expected a whole number of at least ${min}, got "${value}"`);
      return fallback;
    }
    return Number(value);
  }

  boolean(variable: string, fallback: boolean): boolean {
    const value = this.raw(variable)?.toLowerCase();
    if (value === undefined) return fallback;
    if (value === 'true' || value === '1' || value === 'yes') return true;
    if (value === 'false' || value === '0' || value === 'no') return false;
    this.fail(variable, `expected true or false, got "${this.raw(variable)}"`);
    return fallback;
  }

  /** `<PREFIX>_COOLDOWN_PER_MINUTE` (per member) and `<PREFIX>_SERVER_COOLDOWN_PER_MINUTE`. */
  useLimits(prefix: string, fallback: UseLimits): UseLimits {
    return {
      perMember: this.positiveInteger(`${prefix}_COOLDOWN_PER_MINUTE`, fallback.perMember),
      perServer: this.positiveInteger(`${prefix}_SERVER_COOLDOWN_PER_MINUTE`, fallback.perServer),
    };
  }

  positiveNumber(variable: string, fallback: number, max = Number.POSITIVE_INFINITY): number {
    const value = this.raw(variable);
    if (value === null) return fallback;
    const parsed = Number(value);
    if (!/^\d*\.?\d+$/.test(value) || !(parsed > 0) || parsed > max) {
      this.fail(variable, `expected a number greater than 0${max < Number.POSITIVE_INFINITY ? ` and at most ${max}` : ''}, got "${value}"`);
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

  /** A TCP port, 0 (any free port) to 65535; null when unset. */
  port(variable: string): number | null {
    const value = this.raw(variable);
    if (value === null) return null;
    if (!/^\d+$/.test(value) || Number(value) > 65535) {
      this.fail(variable, `expected a port number from 0 (any free port) to 65535, got "${value}"`);
      return null;
    }
    return Number(value);
  }

  /** A host name or IP address to listen on. */
  host(variable: string, fallback: string): string {
    const value = this.raw(variable);
    if (value === null) return fallback;
    if (!/^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|[0-9A-Fa-f:.]+)$/.test(value)) {
      this.fail(variable, `expected a host name or IP address such as ${fallback}, got "${value}"`);
      return fallback;
    }
    return value;
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

  /** A `postgres://` or `postgresql://` URL, or null when unset. */
  postgresUrl(variable: string): string | null {
    const value = this.raw(variable);
    if (value === null || /^postgres(?:ql)?:\/\/./i.test(value)) return value;
    this.fail(variable, 'expected a PostgreSQL URL such as postgres://user:password@host:5432/database');
    return null;
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
    dbPath: read.postgresUrl('DATABASE_URL') ?? read.string('DB_PATH', 'data/bot.sqlite'),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    discordApiUrl: read.httpUrl('DISCORD_API_URL', 'https://discord.com/api'),
    retrainIntervalMinutes: read.positiveNumber('RETRAIN_INTERVAL_MINUTES', 10),
    // Renamed: removed sentences count as much as new ones.
    retrainMinChanges: read.positiveInteger(read.renamed('RETRAIN_MIN_NEW_SENTENCES', 'RETRAIN_MIN_CHANGES'), 5),
    trainingConcurrency: read.positiveInteger('TRAINING_CONCURRENCY', 1),
    trainInProcess: read.boolean('TRAIN_IN_PROCESS', true),
    // A run's heartbeat is written every 15 s at most: a shorter lease would take live runs over.
    runLeaseSeconds: read.positiveInteger('RUN_LEASE_SECONDS', DEFAULT_STALE_RUN_MS / 1000, 30),
    // Unset reads as 0, which means auto too.
    shardCount: read.raw('SHARD_COUNT')?.toLowerCase() === 'auto' ? 'auto' : read.positiveInteger('SHARD_COUNT', 0) || 'auto',
    retrainBudgetMinutes: read.positiveNumber('RETRAIN_BUDGET_MINUTES', 5),
    fullRetrainBudgetMinutes: read.positiveNumber('FULL_RETRAIN_BUDGET_MINUTES', DEFAULT_FULL_BUDGET_MINUTES),
    fullRetrainMinIntervalHours: read.positiveNumber('FULL_RETRAIN_MIN_INTERVAL_HOURS', DEFAULT_FULL_RETRAIN_MIN_INTERVAL_HOURS),
    retrainMaxAttempts: read.positiveInteger('RETRAIN_MAX_ATTEMPTS', DEFAULT_MAX_ATTEMPTS),
    trainingWorkerMaxHeapMb: read.positiveInteger('TRAINING_WORKER_MAX_HEAP_MB', DEFAULT_WORKER_MAX_HEAP_MB),
    teachCooldownPerMinute: read.positiveInteger('TEACH_COOLDOWN_PER_MINUTE', 10),
    forgetCooldownPerMinute: read.positiveInteger('FORGET_COOLDOWN_PER_MINUTE', 5),
    cooldowns: {
      explain: read.useLimits('EXPLAIN', DEFAULT_COOLDOWNS.explain),
      generate: read.useLimits('GENERATE', DEFAULT_COOLDOWNS.generate),
      predict: read.useLimits('PREDICT', DEFAULT_COOLDOWNS.predict),
      autocomplete: read.useLimits('AUTOCOMPLETE', DEFAULT_COOLDOWNS.autocomplete),
    },
    modelVersionsKept: read.positiveInteger('MODEL_VERSIONS_KEPT', 5),
    modelCacheMb: read.positiveInteger('MODEL_CACHE_MB', 512),
    modelIdleMinutes: read.positiveNumber('MODEL_IDLE_MINUTES', 60),
    servingWorkers: read.positiveInteger('SERVING_WORKERS', 1),
    tfBackend: read.oneOf('TF_BACKEND', TF_BACKENDS, null),
    metricsPort: read.port('METRICS_PORT'),
    trainerMetricsPort: read.port('TRAINER_METRICS_PORT'),
    metricsHost: read.host('METRICS_HOST', '127.0.0.1'),
    backupDir: read.raw('BACKUP_DIR'),
    backupEveryHours: read.positiveNumber('BACKUP_EVERY_HOURS', 24, MAX_TIMER_HOURS),
    backupKeep: read.positiveInteger('BACKUP_KEEP', 7),
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
