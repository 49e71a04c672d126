import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireDiscordCredentials } from '../src/config.ts';
import { createLogger } from '../src/log.ts';

const CLIENT_ID = '1234567890123456789';

function problemsOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      discordToken: null,
      discordClientId: null,
      devGuildId: null,
      dbPath: 'data/bot.sqlite',
      logLevel: 'info',
      discordApiUrl: 'https://discord.com/api',
      retrainIntervalMinutes: 10,
      retrainMinChanges: 5,
      trainingConcurrency: 1,
      trainInProcess: true,
      runLeaseSeconds: 600,
      shardCount: 'auto',
      retrainBudgetMinutes: 5,
      fullRetrainBudgetMinutes: 30,
      fullRetrainMinIntervalHours: 6,
      retrainMaxAttempts: 5,
      trainingWorkerMaxHeapMb: 2048,
      teachCooldownPerMinute: 10,
      forgetCooldownPerMinute: 5,
      cooldowns: {
        explain: { perMember: 2, perServer: 10 },
        generate: { perMember: 6, perServer: 30 },
        predict: { perMember: 20, perServer: 300 },
        autocomplete: { perMember: 120, perServer: 1200 },
      },
      modelVersionsKept: 5,
      modelCacheMb: 512,
      modelIdleMinutes: 60,
      servingWorkers: 1,
      tfBackend: null,
      metricsPort: null,
      trainerMetricsPort: null,
      metricsHost: '127.0.0.1',
      backupDir: null,
      backupEveryHours: 24,
      backupKeep: 7,
      deprecations: [],
    });
  });

  it('reads every variable when all are valid', () => {
    const config = loadConfig({
      DISCORD_TOKEN: ' abc.def.ghi ',
      DISCORD_CLIENT_ID: CLIENT_ID,
      DEV_GUILD_ID: '98765432109876543',
      DB_PATH: '/var/lib/bot/db.sqlite',
      LOG_LEVEL: 'debug',
      DISCORD_API_URL: 'http://127.0.0.1:4000/api/',
      RETRAIN_INTERVAL_MINUTES: '2.5',
      RETRAIN_MIN_CHANGES: '20',
      TRAINING_CONCURRENCY: '2',
      TRAIN_IN_PROCESS: 'false',
      RUN_LEASE_SECONDS: '90',
      SHARD_COUNT: '4',
      RETRAIN_BUDGET_MINUTES: '1',
      FULL_RETRAIN_BUDGET_MINUTES: '45',
      FULL_RETRAIN_MIN_INTERVAL_HOURS: '0.5',
      RETRAIN_MAX_ATTEMPTS: '3',
      TRAINING_WORKER_MAX_HEAP_MB: '1024',
      TEACH_COOLDOWN_PER_MINUTE: '3',
      FORGET_COOLDOWN_PER_MINUTE: '2',
      MODEL_VERSIONS_KEPT: '7',
      MODEL_CACHE_MB: '256',
      MODEL_IDLE_MINUTES: '7.5',
      SERVING_WORKERS: '2',
      EXPLAIN_COOLDOWN_PER_MINUTE: '1',
      EXPLAIN_SERVER_COOLDOWN_PER_MINUTE: '4',
      GENERATE_COOLDOWN_PER_MINUTE: '3',
      GENERATE_SERVER_COOLDOWN_PER_MINUTE: '12',
      PREDICT_COOLDOWN_PER_MINUTE: '30',
      PREDICT_SERVER_COOLDOWN_PER_MINUTE: '600',
      AUTOCOMPLETE_COOLDOWN_PER_MINUTE: '90',
      AUTOCOMPLETE_SERVER_COOLDOWN_PER_MINUTE: '900',
      TF_BACKEND: 'WASM',
      METRICS_PORT: '9464',
      TRAINER_METRICS_PORT: '9470',
      METRICS_HOST: '0.0.0.0',
      BACKUP_DIR: '/var/backups/bot',
      BACKUP_EVERY_HOURS: '6',
      BACKUP_KEEP: '14',
    });
    expect(config).toEqual({
      discordToken: 'abc.def.ghi',
      discordClientId: CLIENT_ID,
      devGuildId: '98765432109876543',
      dbPath: '/var/lib/bot/db.sqlite',
      logLevel: 'debug',
      discordApiUrl: 'http://127.0.0.1:4000/api',
      retrainIntervalMinutes: 2.5,
      retrainMinChanges: 20,
      trainingConcurrency: 2,
      trainInProcess: false,
      runLeaseSeconds: 90,
      shardCount: 4,
      retrainBudgetMinutes: 1,
      fullRetrainBudgetMinutes: 45,
      fullRetrainMinIntervalHours: 0.5,
      retrainMaxAttempts: 3,
      trainingWorkerMaxHeapMb: 1024,
      teachCooldownPerMinute: 3,
      forgetCooldownPerMinute: 2,
      cooldowns: {
        explain: { perMember: 1, perServer: 4 },
        generate: { perMember: 3, perServer: 12 },
        predict: { perMember: 30, perServer: 600 },
        autocomplete: { perMember: 90, perServer: 900 },
      },
      modelVersionsKept: 7,
      modelCacheMb: 256,
      modelIdleMinutes: 7.5,
      servingWorkers: 2,
      tfBackend: 'wasm',
      metricsPort: 9464,
      trainerMetricsPort: 9470,
      metricsHost: '0.0.0.0',
      backupDir: '/var/backups/bot',
      backupEveryHours: 6,
      backupKeep: 14,
      deprecations: [],
    });
  });

  it('takes METRICS_PORT=0 as any free port', () => {
    expect(loadConfig({ METRICS_PORT: '0' })).toMatchObject({ metricsPort: 0, metricsHost: '127.0.0.1' });
  });

  it('takes SHARD_COUNT=auto, in any case, as Discord\'s recommendation', () => {
    expect(loadConfig({ SHARD_COUNT: 'AUTO' }).shardCount).toBe('auto');
    expect(loadConfig({ SHARD_COUNT: '2' }).shardCount).toBe(2);
  });

  it('stores in PostgreSQL when DATABASE_URL is set, whatever DB_PATH says', () => {
    const url = 'postgresql://bot:secret@db.internal:5432/bot';
    expect(loadConfig({ DATABASE_URL: url, DB_PATH: '/var/lib/bot/db.sqlite' }).dbPath).toBe(url);
    expect(loadConfig({ DATABASE_URL: '', DB_PATH: '/var/lib/bot/db.sqlite' }).dbPath).toBe('/var/lib/bot/db.sqlite');
    let message = '';
    try {
      loadConfig({ DATABASE_URL: 'mysql://bot:secret@db.internal/bot' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('DATABASE_URL');
    // The rejected value may hold a password: it is not repeated.
    expect(message).not.toContain('secret');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ DEV_GUILD_ID: '', LOG_LEVEL: '  ' })).toMatchObject({ devGuildId: null, logLevel: 'info' });
  });

  it.each([
    ['DISCORD_CLIENT_ID', 'my-bot', /Discord id/],
    ['DEV_GUILD_ID', '12345', /Discord id/],
    ['LOG_LEVEL', 'verbose', /one of fatal, error, warn, info, debug, trace, silent/],
    ['DISCORD_API_URL', 'discord.com/api', /http\(s\) URL/],
    ['DISCORD_API_URL', 'ftp://example.com/api', /http\(s\) URL/],
    ['RETRAIN_INTERVAL_MINUTES', '0', /number greater than 0/],
    ['RETRAIN_INTERVAL_MINUTES', 'ten', /number greater than 0/],
    ['RETRAIN_MIN_CHANGES', '-1', /whole number of at least 1/],
    ['RETRAIN_MIN_NEW_SENTENCES', '0', /whole number of at least 1/],
    ['TRAINING_CONCURRENCY', '1.5', /whole number of at least 1/],
    ['TRAIN_IN_PROCESS', 'sometimes', /true or false/],
    ['SHARD_COUNT', '0', /whole number of at least 1/],
    ['RUN_LEASE_SECONDS', '20', /whole number of at least 30/],
    ['RETRAIN_BUDGET_MINUTES', '-3', /number greater than 0/],
    ['FULL_RETRAIN_BUDGET_MINUTES', '0', /number greater than 0/],
    ['FULL_RETRAIN_MIN_INTERVAL_HOURS', '0', /number greater than 0/],
    ['FORGET_COOLDOWN_PER_MINUTE', '-2', /whole number of at least 1/],
    ['RETRAIN_MAX_ATTEMPTS', '0', /whole number of at least 1/],
    ['TRAINING_WORKER_MAX_HEAP_MB', '2GB', /whole number of at least 1/],
    ['TEACH_COOLDOWN_PER_MINUTE', '0', /whole number of at least 1/],
    ['MODEL_VERSIONS_KEPT', '5 versions', /whole number of at least 1/],
    ['MODEL_CACHE_MB', '0.5', /whole number of at least 1/],
    ['MODEL_IDLE_MINUTES', '0', /number greater than 0/],
    ['SERVING_WORKERS', '0', /whole number of at least 1/],
    ['EXPLAIN_COOLDOWN_PER_MINUTE', 'two', /whole number of at least 1/],
    ['GENERATE_SERVER_COOLDOWN_PER_MINUTE', '0', /whole number of at least 1/],
    ['PREDICT_COOLDOWN_PER_MINUTE', '2.5', /whole number of at least 1/],
    ['AUTOCOMPLETE_SERVER_COOLDOWN_PER_MINUTE', '-1', /whole number of at least 1/],
    ['TF_BACKEND', 'gpu', /one of node, wasm, cpu/],
    ['METRICS_PORT', '65536', /port number from 0/],
    ['METRICS_PORT', 'http', /port number from 0/],
    ['METRICS_HOST', 'http://localhost', /host name or IP address/],
    ['BACKUP_EVERY_HOURS', '1000', /at most 596/],
    ['BACKUP_KEEP', '0', /whole number of at least 1/],
  ])('rejects %s=%s naming the variable and the expected form', (variable, value, expected) => {
    const problems = problemsOf({ [variable]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.variable).toBe(variable);
    expect(problems[0]?.message).toMatch(expected);
    expect(problems[0]?.message).toContain(value);
  });

  it('still reads RETRAIN_MIN_NEW_SENTENCES, the old name of RETRAIN_MIN_CHANGES, and records it as deprecated', () => {
    expect(loadConfig({ RETRAIN_MIN_NEW_SENTENCES: '12' })).toMatchObject({
      retrainMinChanges: 12,
      deprecations: [{ variable: 'RETRAIN_MIN_NEW_SENTENCES', message: 'deprecated: rename it to RETRAIN_MIN_CHANGES' }],
    });
    expect(loadConfig({ RETRAIN_MIN_NEW_SENTENCES: '12', RETRAIN_MIN_CHANGES: '3' })).toMatchObject({
      retrainMinChanges: 3,
      deprecations: [{ variable: 'RETRAIN_MIN_NEW_SENTENCES', message: expect.stringMatching(/^ignored: RETRAIN_MIN_CHANGES is set/) }],
    });
  });

  it('reports every invalid variable in one error', () => {
    let message = '';
    try {
      loadConfig({ LOG_LEVEL: 'loud', TRAINING_CONCURRENCY: 'many' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('LOG_LEVEL');
    expect(message).toContain('TRAINING_CONCURRENCY');
  });
});

describe('requireDiscordCredentials', () => {
  it('names each missing Discord credential', () => {
    const config = loadConfig({ DISCORD_TOKEN: 'secret' });
    expect(() => requireDiscordCredentials(config)).toThrow(/DISCORD_CLIENT_ID/);
    expect(() => requireDiscordCredentials(config)).not.toThrow(/DISCORD_TOKEN/);
  });

  it('accepts a configuration with both credentials', () => {
    const config = loadConfig({ DISCORD_TOKEN: 'secret', DISCORD_CLIENT_ID: CLIENT_ID });
    expect(requireDiscordCredentials(config).discordToken).toBe('secret');
  });
});

describe('createLogger', () => {
  it('writes JSON lines at the configured level to a file and redacts tokens', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bot-log-'));
    const file = path.join(dir, 'logs', 'bot.log');
    const logger = createLogger({ level: 'warn', destination: { file } });
    logger.info('not written at level warn');
    logger.warn({ token: 'abc', guildId: '1' }, 'written');
    logger.flush();
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'written', token: '[redacted]', guildId: '1' });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
