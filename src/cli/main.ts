/**
 * The operator's command line: import a corpus, train, predict, evaluate, inspect and roll back
 * models of one guild, on the same database the bot uses.
 *
 * @module
 */
import fs from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { importLines } from '../app/corpus-import.ts';
import { createApp, type App } from '../app/create-app.ts';
import { ConfigError, loadEnvironment } from '../config.ts';
import { errorMessage } from '../errors.ts';
import { evaluate, type EvaluationResult } from '../lm/evaluate.ts';
import { KneserNeyTrigram } from '../lm/kneser-ney.ts';
import { combinedPredictor, type ServedKind } from '../lm/served-model.ts';
import { mixtureWeightName } from '../lm/frequency-weights.ts';
import { lstmPredictor, predictNextWords } from '../lm/predict.ts';
import { tokenize } from '../lm/tokenizer.ts';
import { createLogger } from '../log.ts';
import { StoreError } from '../store/index.ts';
import { runBackupCommand, runRestoreCommand } from './backup.ts';
import { runTrainCommand } from './train.ts';

/** A problem the operator can fix; printed as one line, exit code 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/** How `eval` names the model that answers predictions. */
const SERVED_NAMES: Record<ServedKind, string> = { lstm: 'the LSTM', 'kneser-ney': 'the Kneser-Ney 3-gram', mix: 'the mixture' };

const USAGE = `Usage: lstm-bot <command> [options]

Commands:
  import FILE                       add one sentence per line to the guild's corpus
  train [--epochs N] [--seed N] [--full]
                                    train the guild's model now and store it as a new version
  predict TEXT [--k N] [--json]     the most likely next words
  eval FILE [--json]                held-out perplexity and accuracy, LSTM and Kneser-Ney 3-gram
  stats [--json]                    corpus, vocabulary and model summary
  models [--json]                   stored model versions
  rollback VERSION                  serve an earlier model version again
  backup FILE                       copy the whole database to FILE, also while the bot runs
  restore FILE                      replace the database with a backup (refused while a bot runs)

Options (every command):
  --db PATH      database file (default: DB_PATH or data/bot.sqlite)
  --guild ID     guild whose corpus and model to use (default: local, the console's guild)
  --help         this text`;

const OPTIONS = {
  db: { type: 'string' },
  guild: { type: 'string', default: 'local' },
  json: { type: 'boolean', default: false },
  k: { type: 'string', default: '5' },
  epochs: { type: 'string' },
  seed: { type: 'string' },
  full: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const GLOBAL_OPTIONS: readonly (keyof Values)[] = ['db', 'guild', 'help'];

/** Which options each command accepts besides the global ones. */
const COMMAND_OPTIONS: Record<string, readonly (keyof Values)[]> = {
  import: [],
  train: ['epochs', 'seed', 'full'],
  predict: ['k', 'json'],
  eval: ['json'],
  stats: ['json'],
  models: ['json'],
  rollback: [],
  backup: [],
  restore: [],
};

/** Runs the command line; returns the exit code. */
export async function main(
  argv: readonly string[],
  out: Pick<NodeJS.WritableStream, 'write'> = process.stdout,
  err: Pick<NodeJS.WritableStream, 'write'> = process.stderr,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    err.write(`error: ${errorMessage(error).split('. ')[0]} (see --help)\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...args] = positionals;
  if (values.help || command === undefined) {
    (values.help ? out : err).write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const allowed = COMMAND_OPTIONS[command];
  if (allowed === undefined) {
    err.write(`error: unknown command '${command}' (see --help)\n`);
    return 2;
  }
  const foreign = parsed.tokens
    .flatMap((token) => (token.kind === 'option' ? [token.name as keyof Values] : []))
    .find((name) => !GLOBAL_OPTIONS.includes(name) && !allowed.includes(name));
  if (foreign !== undefined) {
    err.write(`error: '${command}' does not take --${foreign}\n`);
    return 2;
  }
  let app: App | undefined;
  try {
    const run = COMMANDS[command as keyof typeof COMMANDS];
    return await run(args, values, async () => (app ??= await openApp(values)), (text) => out.write(text));
  } catch (error) {
    if (error instanceof CliError || error instanceof ConfigError || error instanceof StoreError) {
      err.write(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await app?.close();
  }
}

async function openApp(values: Values): Promise<App> {
  const config = loadEnvironment();
  if (values.db !== undefined) config.dbPath = values.db;
  // Operators read results on stdout; only warnings and errors go to stderr unless asked otherwise.
  const logger = createLogger({ level: process.env['LOG_LEVEL'] ? config.logLevel : 'warn', destination: 'stderr' });
  return createApp(config, logger, { schedule: false });
}

type Print = (text: string) => void;
type Command = (args: string[], values: Values, open: () => Promise<App>, print: Print) => Promise<number>;

const COMMANDS = {
  async import(args, values, open, print) {
    const lines = readLines(single(args, 'FILE'));
    const app = await open();
    const report = importLines(app.store, values.guild, lines, { authorId: 'import', source: 'import' });
    const reasons = Object.entries(report.skipped).map(([reason, count]) => `${count} ${reason.replaceAll('_', ' ')}`);
    print(`added ${report.added}, skipped ${reasons.length === 0 ? 0 : reasons.join(', ')}\n`);
    return 0;
  },

  async train(args, values, open, print) {
    noPositionals(args);
    const epochs = optionalInteger(values.epochs, '--epochs', 1);
    const seed = optionalInteger(values.seed, '--seed', 0);
    const app = await open();
    if (app.store.countSentences(values.guild) === 0) {
      throw new CliError(`guild '${values.guild}' has no sentences yet; add some with 'import FILE'`);
    }
    return runTrainCommand(app, values.guild, { epochs, seed, full: values.full }, print);
  },

  async predict(args, values, open, print) {
    const text = args.join(' ');
    const k = optionalInteger(values.k, '--k', 1) ?? 5;
    const app = await open();
    return app.models.use(values.guild, (serving) => {
      if (serving === null) throw new CliError(`guild '${values.guild}' has no trained model yet; run 'train' first`);
      const prediction = predictNextWords(serving.language, text, k);
      if (prediction.status === 'empty_input') throw new CliError('nothing to predict from: the text has no words');
      if (prediction.status === 'all_unknown') {
        throw new CliError(`none of the words are known to the model: ${prediction.unknown.join(' ')}`);
      }
      const { tokens, unknown, predictions } = prediction;
      if (values.json) {
        print(`${JSON.stringify({ tokens, unknown, predictions, model: { version: serving.version } })}\n`);
        return 0;
      }
      if (prediction.truncated) print(`(only the last ${prediction.contextUsed.length} words were used)\n`);
      if (unknown.length > 0) print(`unknown words: ${unknown.join(' ')}\n`);
      for (const { word, probability } of predictions) print(`${word}\t${(probability * 100).toFixed(1)}%\n`);
      return 0;
    });
  },

  async eval(args, values, open, print) {
    const lines = readLines(single(args, 'FILE')).filter((line) => line.trim() !== '');
    const app = await open();
    return app.models.use(values.guild, (serving) => {
      if (serving === null) throw new CliError(`guild '${values.guild}' has no trained model yet; run 'train' first`);
      const { vocabulary } = serving;
      const heldOut = lines.map((line) => vocabulary.encode(tokenize(line).tokens).ids).filter((ids) => ids.length > 0);
      if (heldOut.length === 0) throw new CliError('the file has no sentence with words in it');
      const corpus = app.store.corpus(values.guild).sentences.map((tokens) => vocabulary.encode(tokens).ids);
      const lstmPart = lstmPredictor(serving.lstm);
      const kneserNeyPart = KneserNeyTrigram.trainWithUnknownWords(corpus, vocabulary.size);
      // The combination chosen on the validation sentences when the model was trained.
      const { lstmWeight: lambda, geometric, calibration, frequencyWeights } = serving;
      const lstm = evaluate(heldOut, lstmPart);
      const kneserNey3 = evaluate(heldOut, kneserNeyPart);
      const mix = evaluate(heldOut, combinedPredictor(lstmPart, kneserNeyPart, serving));
      const figures = (result: EvaluationResult) => ({ perplexity: result.perplexity, top1: result.top1, top5: result.top5 });
      const report = {
        sentences: lstm.sentences,
        tokens: lstm.tokens,
        oovRate: lstm.oovRate,
        lstm: figures(lstm),
        kneserNey3: figures(kneserNey3),
        mix: {
          ...figures(mix),
          lambda,
          combination: geometric === null ? 'linear' : 'geometric',
          ...(geometric === null ? {} : { exponents: { lstm: geometric.lstmExponent, kneserNey: geometric.kneserNeyExponent } }),
          ...(calibration === null ? {} : { calibration }),
          ...(frequencyWeights === null ? {} : { frequencyWeights }),
        },
        served: serving.kind,
      };
      if (values.json) {
        print(`${JSON.stringify(report)}\n`);
        return 0;
      }
      print(`${report.sentences} sentences, ${report.tokens} targets, ${(report.oovRate * 100).toFixed(1)}% unknown words\n`);
      print('model                     perplexity   top-1   top-5\n');
      const rows = [
        [`LSTM v${serving.version}`, lstm],
        ['Kneser-Ney 3-gram', kneserNey3],
        [geometric === null ? `mixture, ${mixtureWeightName(lambda, frequencyWeights)}${calibration === null ? '' : ', calibrated'}` : `geometric, ${geometric.lstmExponent.toFixed(2)} / ${geometric.kneserNeyExponent.toFixed(2)}`, mix],
      ] as const;
      for (const [name, result] of rows) {
        print(`${name.padEnd(26)}${result.perplexity.toFixed(2).padStart(10)}${percent(result.top1)}${percent(result.top5)}\n`);
      }
      print(`predictions are answered by ${SERVED_NAMES[serving.kind]}\n`);
      return 0;
    });
  },

  async stats(args, values, open, print) {
    noPositionals(args);
    const app = await open();
    const stats = await app.services.stats(values.guild);
    const latest = app.store.servingModelInfo(values.guild);
    // Operators get the stored error itself; members see only its cause.
    const lastRun = app.store.latestRuns(values.guild, 1)[0];
    const summary = {
      guild: values.guild,
      sentences: stats.sentences,
      contributors: stats.contributors,
      vocabularySize: stats.vocabularySize,
      changesSinceModel: stats.changesSinceModel,
      model:
        latest === undefined
          ? null
          : { version: latest.version, trainedAt: new Date(latest.createdAt).toISOString(), corpusSentences: latest.corpusSentences, metrics: latest.metrics },
      lastRun: lastRun === undefined ? null : { id: lastRun.id, status: lastRun.status, finishedAt: lastRun.finishedAt, error: lastRun.error },
    };
    if (values.json) {
      print(`${JSON.stringify(summary)}\n`);
      return 0;
    }
    print(
      `guild ${summary.guild}: ${plural(summary.sentences, 'sentence')} from ${plural(summary.contributors, 'contributor')}, ` +
        `${plural(summary.changesSinceModel, 'change')} since the serving model\n`,
    );
    if (summary.model === null) print('no trained model yet\n');
    else {
      const last = stats.model?.history.at(-1);
      print(
        `model v${summary.model.version}, trained ${summary.model.trainedAt} on ${summary.model.corpusSentences} sentences, ` +
          `vocabulary ${summary.vocabularySize}` +
          (last === undefined ? '' : `, final loss ${last.trainLoss.toFixed(3)}${last.validationLoss === undefined ? '' : `, validation loss ${last.validationLoss.toFixed(3)}`}`) +
          '\n',
      );
    }
    if (summary.lastRun !== null) print(`last run #${summary.lastRun.id}: ${summary.lastRun.status}${summary.lastRun.error ? ` (${summary.lastRun.error})` : ''}\n`);
    return 0;
  },

  async models(args, values, open, print) {
    noPositionals(args);
    const app = await open();
    const models = app.store.listModels(values.guild);
    if (values.json) {
      print(`${JSON.stringify(models.map(({ version, status, createdAt, corpusSentences, note }) => ({ version, status, createdAt, corpusSentences, note })))}\n`);
      return 0;
    }
    if (models.length === 0) print(`guild '${values.guild}' has no stored model\n`);
    for (const model of models) {
      print(`v${model.version}\t${model.status}\t${new Date(model.createdAt).toISOString()}\t${model.corpusSentences} sentences${model.note ? `\t${model.note}` : ''}\n`);
    }
    return 0;
  },

  async rollback(args, values, open, print) {
    const version = optionalInteger(single(args, 'VERSION'), 'VERSION', 1)!;
    const app = await open();
    const promoted = app.store.promoteVersion(values.guild, version);
    if (promoted === undefined) throw new CliError(`guild '${values.guild}' has no model version ${version}`);
    print(`model v${version} now serves guild '${values.guild}'\n`);
    return 0;
  },

  async backup(args, values, _open, print) {
    return runBackupCommand(databasePath(values), single(args, 'FILE'), print);
  },

  async restore(args, values, _open, print) {
    return runRestoreCommand(databasePath(values), single(args, 'FILE'), print);
  },
} satisfies Record<string, Command>;

/** `--db`, else the configured database; backups work on the file, not on a loaded app. */
function databasePath(values: Values): string {
  return values.db ?? loadEnvironment().dbPath;
}

function single(args: string[], name: string): string {
  if (args.length !== 1) throw new CliError(`expected exactly one ${name}`);
  return args[0]!;
}

function noPositionals(args: string[]): void {
  if (args.length > 0) throw new CliError(`unexpected argument '${args[0]}'`);
}

function optionalInteger(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) throw new CliError(`${name} must be an integer >= ${min}, got '${value}'`);
  return number;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`.padStart(8);
}

/** Reads a UTF-8 text file as lines; unreadable or non-UTF-8 files are a clear error. */
function readLines(file: string): string[] {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${errorMessage(error)}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(`${file} is not valid UTF-8 text`);
  }
  const lines = text.replace(/^\ufeff/, '').split(/\r?\n/);
  // A final newline ends the last line; it does not start an empty one.
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
