/**
 * Part `many-servers` of scenario `abuse`: 2,000 servers with a model each, requests spread over
 * them (`/predict`, autocomplete and `/generate` through the application's services, as the
 * commands call them). Targets: the process's resident memory stays under 1.5 GB, and no model
 * fails to load.
 *
 * The servers are sized like a bot's servers: most small (a vocabulary of 500 words, a 64-wide
 * LSTM, the 3-gram or the mixture serving), some medium (2,000 words, 128 wide, the mixture), a
 * few large (5,000 words, the 320-wide tied network, the LSTM). Training 2,000 models would take
 * hours, so each tier's network is initialised once with the product's hyperparameters for its
 * size (`LstmLanguageModel.create`) and stored for each of its servers as that server's model,
 * with metrics naming what serves, and each server gets 30 sentences of its own for its 3-gram.
 * Every server then loads its own copy, as it would its own trained weights: the figures concern
 * memory and loading, not what the models predict.
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { round, whole } from '../../lib/format.ts';
import { seededRandom } from '../../../test/support/seeded-random.ts';
import { latency, progress, readLog } from '../../lib/load.ts';
import { loadAverage } from '../../lib/machine.ts';
import { sampleRss } from '../../lib/memory.ts';
import type { PartReport } from './part.ts';

/** The memory target. */
const RSS_TARGET_MB = 1536;
const SENTENCES_PER_SERVER = 30;

/** Options of {@link runManyServers}. */
export interface ManyServersOptions {
  servers: number;
  requests: number;
  concurrency: number;
}

/** A size of server: its share of the servers, its vocabulary, its network and what serves. */
interface Tier {
  name: string;
  share: number;
  vocabulary: number;
  /** Sentences and tokens its hyperparameters are chosen for (the product's defaults scale with them). */
  corpus: { sentences: number; tokens: number };
  served: readonly ('lstm' | 'kneser-ney' | 'mix')[];
}

const TIERS: readonly Tier[] = [
  { name: 'small', share: 0.9, vocabulary: 500, corpus: { sentences: 300, tokens: 3_000 }, served: ['kneser-ney', 'mix'] },
  { name: 'medium', share: 0.09, vocabulary: 2_000, corpus: { sentences: 1_500, tokens: 20_000 }, served: ['mix'] },
  { name: 'large', share: 0.01, vocabulary: 5_000, corpus: { sentences: 20_000, tokens: 300_000 }, served: ['lstm'] },
];

type RequestKind = 'predict' | 'autocomplete' | 'generate';

/** Runs the part; see the module description. */
export async function runManyServers(options: ManyServersOptions): Promise<PartReport> {
  const { createApp } = await import('../../../src/app/create-app.ts');
  const { loadConfig } = await import('../../../src/config.ts');
  const { createLogger } = await import('../../../src/log.ts');
  const { defaultHyperparameters } = await import('../../../src/lm/hyperparameters.ts');
  const { LstmLanguageModel } = await import('../../../src/lm/model.ts');
  const { packModel } = await import('../../../src/lm/model-package.ts');
  const { Vocabulary } = await import('../../../src/lm/vocabulary.ts');
  const { dedupeKey } = await import('../../../src/lm/tokenizer.ts');

  const loadBefore = loadAverage();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-bot-abuse-servers-'));
  try {
    // The product's defaults: MODEL_CACHE_MB, MODEL_IDLE_MINUTES, SERVING_WORKERS.
    const config = loadConfig({ DB_PATH: path.join(dir, 'bot.sqlite'), LOG_LEVEL: 'warn', RETRAIN_INTERVAL_MINUTES: '600', RETRAIN_MIN_CHANGES: '100000' });
    const logFile = path.join(dir, 'bot.log');
    const app = await createApp(config, createLogger({ level: config.logLevel, destination: { file: logFile } }), { schedule: false });
    try {
      const random = seededRandom(20_250_302);
      const words = Array.from({ length: 5_000 }, (_, index) => `w${index}`);
      const sentence = (vocabulary: number): string[] =>
        Array.from({ length: 4 + Math.floor(random() * 10) }, () => words[Math.floor(vocabulary * random() ** 2)]!);
      progress(`many-servers: storing a model and ${SENTENCES_PER_SERVER} sentences for each of ${whole(options.servers)} servers`);
      const guilds: { id: string; tier: Tier; start: string }[] = [];
      let payloadBytes = 0;
      for (const tier of TIERS) {
        const count = Math.round(options.servers * tier.share);
        const vocabulary = Vocabulary.build([words.slice(0, tier.vocabulary - Vocabulary.specialCount)], { minCount: 1, maxSize: tier.vocabulary });
        const hyperparameters = defaultHyperparameters({ ...tier.corpus, vocabularySize: vocabulary.size });
        const network = LstmLanguageModel.create(vocabulary.size, hyperparameters);
        const packed = await packModel(network, vocabulary);
        network.dispose();
        for (let index = 0; index < count; index += 1) {
          const guildId = `${tier.name}-${index}`;
          const sentences = Array.from({ length: SENTENCES_PER_SERVER }, () => sentence(tier.vocabulary - Vocabulary.specialCount));
          app.store.addSentences(
            sentences.map((tokens) => ({ guildId, channelId: null, authorId: 'bench', text: tokens.join(' '), tokens, dedupeKey: dedupeKey(tokens), source: 'import' as const })),
          );
          const served = tier.served[index % tier.served.length]!;
          app.store.saveModel(
            { guildId, ...packed, metrics: benchMetrics(served), corpusSentences: SENTENCES_PER_SERVER, corpusRevision: app.store.corpusRevision(guildId) },
            { promote: true },
          );
          payloadBytes += packed.weights.byteLength;
          guilds.push({ id: guildId, tier, start: sentences[0]!.slice(0, 2).join(' ') });
        }
      }

      progress(`many-servers: ${whole(options.requests)} requests spread over the servers, ${options.concurrency} at a time (${whole(payloadBytes / 2 ** 20)} MB of weights stored)`);
      const rssBefore = process.memoryUsage.rss() / 2 ** 20;
      const rss = sampleRss();
      const latencies: Record<RequestKind, number[]> = { predict: [], autocomplete: [], generate: [] };
      const failures: string[] = [];
      let busy = 0;
      let next = 0;
      const started = performance.now();
      const lane = async () => {
        while (next < options.requests) {
          next += 1;
          const guild = guilds[Math.floor(random() * guilds.length)]!;
          const draw = random();
          const kind: RequestKind = draw < 0.8 ? 'predict' : draw < 0.95 ? 'autocomplete' : 'generate';
          const begun = performance.now();
          try {
            if (kind === 'predict') {
              const outcome = await app.services.predict(guild.id, guild.start, 5);
              if (outcome.status !== 'ok') failures.push(`${guild.id} predict: ${outcome.status}`);
            } else if (kind === 'autocomplete') {
              if ((await app.services.complete(guild.id, guild.start, 25)).length === 0) failures.push(`${guild.id} autocomplete: no suggestion`);
            } else {
              const outcome = await app.services.generate(guild.id, guild.start, 20, 1);
              if (outcome.status === 'busy') busy += 1;
              else if (outcome.status !== 'ok') failures.push(`${guild.id} generate: ${outcome.status}`);
            }
          } catch (error) {
            failures.push(`${guild.id} ${kind}: ${error instanceof Error ? error.message : String(error)}`);
          }
          latencies[kind].push(performance.now() - begun);
        }
      };
      await Promise.all(Array.from({ length: options.concurrency }, lane));
      const wallMs = performance.now() - started;
      const peakRssMb = rss.stop();
      const cache = app.models.stats();
      const logs = readLog(logFile);
      const failedLoads = (logs.messages['serving model could not be loaded'] ?? 0) + (logs.messages['serving n-gram model could not be counted'] ?? 0);
      const missed: string[] = [];
      if (!(peakRssMb < RSS_TARGET_MB)) missed.push(`many-servers: peak RSS ${round(peakRssMb, 1)} MB, target < ${RSS_TARGET_MB} MB`);
      if (failures.length > 0 || failedLoads > 0) missed.push(`many-servers: ${failures.length} failed requests, ${failedLoads} failed loads (first: ${failures[0] ?? 'none'})`);
      const result = {
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadAverage(),
        servers: guilds.length,
        tiers: TIERS.map((tier) => ({ name: tier.name, servers: guilds.filter((guild) => guild.tier === tier).length, vocabulary: tier.vocabulary, served: tier.served })),
        storedWeightsMb: round(payloadBytes / 2 ** 20, 1),
        requests: options.requests,
        concurrency: options.concurrency,
        wallSeconds: round(wallMs / 1000, 2),
        latencyMs: { predict: latency(latencies.predict), autocomplete: latency(latencies.autocomplete), generate: latency(latencies.generate) },
        failures: failures.length,
        failedLoads,
        busy,
        rssMb: { before: round(rssBefore, 1), peak: round(peakRssMb, 1) },
        mainThreadCache: { ...cache, bytes: round(cache.bytes / 2 ** 20, 1) },
        botLog: logs,
      };
      const text = [
        `many-servers: ${whole(guilds.length)} servers (${result.tiers.map((tier) => `${tier.servers} ${tier.name}`).join(', ')}), ${whole(result.storedWeightsMb)} MB of weights stored; ${whole(options.requests)} requests at concurrency ${options.concurrency}, spread uniformly`,
        `load average ${loadBefore} before, ${result.loadAverageAfter} after; ${result.wallSeconds} s`,
        `RSS (whole process, serving and corpus threads included): ${result.rssMb.before} MB before the requests, peak ${result.rssMb.peak} MB (target < ${RSS_TARGET_MB})`,
        `main thread's models: ${cache.loads} loads, ${cache.evictedForBudget} released for the budget, ${cache.evictedIdle} idle; ${cache.entries} in memory holding ${result.mainThreadCache.bytes} MB at the end`,
        `latency p50 / p99 (ms): predict ${result.latencyMs.predict.p50Ms} / ${result.latencyMs.predict.p99Ms}, autocomplete ${result.latencyMs.autocomplete.p50Ms} / ${result.latencyMs.autocomplete.p99Ms}, generate ${result.latencyMs.generate.p50Ms} / ${result.latencyMs.generate.p99Ms}`,
        `failed requests: ${failures.length}, failed loads: ${failedLoads} (target: none); generate refused as busy: ${busy}`,
      ].join('\n');
      return { result, text, missed };
    } finally {
      await app.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Metrics as a training run records them, naming what serves. */
function benchMetrics(served: 'lstm' | 'kneser-ney' | 'mix') {
  return {
    history: [{ epoch: 1, trainLoss: 5, validationLoss: 5.3, validationAccuracy: 0.1, tokensPerSecond: 1_000, seconds: 1 }],
    bestEpoch: 1,
    stoppedEarly: false,
    stoppedAtDeadline: false,
    mode: 'full',
    modeReason: 'benchmark model, initialised and not trained',
    trainSentences: SENTENCES_PER_SERVER,
    trainTargets: 300,
    validationSentences: 0,
    validationTargets: 0,
    comparison: null,
    servedModel: {
      served,
      lstmWeight: served === 'lstm' ? 1 : served === 'kneser-ney' ? 0 : 0.5,
      lstmPerplexity: 200,
      kneserNeyPerplexity: 150,
      mixPerplexity: 140,
      geometric: null,
      combination: 'linear',
      targets: 300,
    },
    backend: 'wasm',
    seconds: 1,
  };
}
