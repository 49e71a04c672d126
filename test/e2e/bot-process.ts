/**
 * The real bot as a child process, started exactly as `npm start` starts it
 * (`node --import tsx src/main.ts` in the repository root), configured only through environment
 * variables and pointed at a {@link FakeDiscord}. Log lines (pino JSON on stdout) are parsed and
 * can be awaited, so tests wait on what the bot reports rather than on fixed delays.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isPostgresUrl } from '../../src/store/index.ts';
import type { FakeDiscord } from '../support/fake-discord.ts';

/** The repository root, where `npm start` runs. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** One pino log line of the bot. */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** pino's numeric levels. */
export const LEVEL = { info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** How the child ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options of {@link spawnBot}. */
export interface SpawnOptions {
  /** The fake the bot connects to (REST base, token and application id). */
  fake: FakeDiscord;
  /** A SQLite file, or a PostgreSQL URL (passed as `DATABASE_URL`). */
  dbPath: string;
  /** Extra variables, on top of the defaults below; they win. */
  env?: Record<string, string>;
  /**
   * The entry point, as its npm script runs it: `src/main.ts` (`npm start`, the default),
   * `src/sharded.ts` (`npm run start:sharded`) or `src/trainer.ts` (`npm run trainer`).
   */
  entry?: 'src/main.ts' | 'src/sharded.ts' | 'src/trainer.ts';
}

/**
 * Settings every e2e bot starts with: the scheduler looks rarely and never finds enough changes,
 * so only `/retrain` trains and a test controls when; an empty `DEV_GUILD_ID` keeps a developer's
 * `.env` out of the way (dotenv never overrides a variable that is set, even to nothing).
 */
const BASE_ENV: Record<string, string> = {
  LOG_LEVEL: 'info',
  DEV_GUILD_ID: '',
  RETRAIN_INTERVAL_MINUTES: '600',
  RETRAIN_MIN_CHANGES: '100000',
  TRAINING_CONCURRENCY: '1',
  RETRAIN_BUDGET_MINUTES: '5',
  TEACH_COOLDOWN_PER_MINUTE: '10',
  MODEL_VERSIONS_KEPT: '5',
  TF_BACKEND: '',
};

/** A running (or ended) bot process. */
export class BotProcess {
  readonly child: ChildProcess;
  readonly entry: NonNullable<SpawnOptions['entry']>;
  readonly logs: LogLine[] = [];
  /** Lines of stdout that were not JSON (there should be none: the bot only logs there). */
  readonly plainStdout: string[] = [];
  /** Set once the process has ended. */
  exit: Exit | null = null;
  readonly exited: Promise<Exit>;
  #stderr = '';
  #stdoutRest = '';
  readonly #waiters = new Set<{ match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }>();

  constructor(options: SpawnOptions) {
    const { fake } = options;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...BASE_ENV,
      DISCORD_TOKEN: fake.token,
      DISCORD_CLIENT_ID: fake.applicationId,
      DISCORD_API_URL: fake.apiUrl,
      // A developer's own DATABASE_URL must not win over the test's database.
      ...(isPostgresUrl(options.dbPath) ? { DATABASE_URL: options.dbPath } : { DB_PATH: options.dbPath, DATABASE_URL: '' }),
      ...options.env,
    };
    this.entry = options.entry ?? 'src/main.ts';
    this.child = spawn(process.execPath, ['--import', 'tsx', this.entry], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.#onStdout(chunk));
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  /** Everything the bot wrote on stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /**
   * Resolves with the first log line (past or future) matching `match`; rejects when the process
   * ends first or after `timeoutMs`.
   */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    const found = this.logs.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        outcome();
      };
      const fail = (reason: string) => settle(() => reject(new Error(`${reason}; last output:\n${this.tail()}`)));
      const waiter = { match, resolve: (line: LogLine) => settle(() => resolve(line)) };
      const timer = setTimeout(() => fail(`no matching log line within ${timeoutMs} ms`), timeoutMs);
      this.#waiters.add(waiter);
      void this.exited.then((exit) => {
        if (this.#waiters.has(waiter)) fail(`the bot exited (${exit.code ?? exit.signal}) before the expected log line`);
      });
    });
  }

  /** Resolves once the bot reports it is logged in; rejects if it exits or stalls before. */
  ready(timeoutMs = 60_000): Promise<LogLine> {
    return this.waitForLog((line) => line.msg === 'logged in to Discord', timeoutMs);
  }

  /** Log lines at `level` or above. */
  linesAtLeast(level: number): LogLine[] {
    return this.logs.filter((line) => line.level >= level);
  }

  /** Sends `signal` (SIGTERM by default) and resolves when the process has ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.exit === null) this.child.kill(signal);
    return this.exited;
  }

  /** The last log lines and stderr, for failure messages. */
  tail(count = 15): string {
    const lines = this.logs.slice(-count).map((line) => JSON.stringify(line));
    return [...lines, ...(this.#stderr === '' ? [] : [`stderr: ${this.#stderr.slice(-2000)}`])].join('\n');
  }

  #onStdout(chunk: string): void {
    const text = this.#stdoutRest + chunk;
    const lines = text.split('\n');
    this.#stdoutRest = lines.pop() ?? '';
    for (const raw of lines) {
      if (raw.trim() === '') continue;
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        this.plainStdout.push(raw);
        continue;
      }
      this.logs.push(line);
      for (const waiter of this.#waiters) {
        if (waiter.match(line)) waiter.resolve(line);
      }
    }
  }
}

/** Starts the bot process (not waiting for it to log in: see {@link BotProcess.ready}). */
export function spawnBot(options: SpawnOptions): BotProcess {
  return new BotProcess(options);
}

/** Starts the bot process and resolves once it is logged in to the fake. */
export async function startBot(options: SpawnOptions): Promise<BotProcess> {
  const bot = spawnBot(options);
  try {
    await bot.ready();
  } catch (error) {
    await bot.stop('SIGKILL');
    throw error;
  }
  return bot;
}
