/**
 * What the bot reports to Prometheus: interactions by command and outcome, how fast members get
 * an answer, training runs, the training queue, the models in memory, each server's corpus size,
 * and Node's own figures (event-loop delay, memory, CPU). Nothing names a member or repeats a
 * sentence: the only identifiers are command names and server ids.
 *
 * The figures come in through seams that exist for other reasons: the dispatcher's
 * {@link DispatchObserver}, the training service's events, and reads of the store and the loaded
 * models when Prometheus scrapes.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HeldModels } from '../app/model-registry.ts';
import type { DispatchObserver, InteractionReport } from '../commands/dispatch.ts';
import type { Store } from '../store/index.ts';
import type { TrainingService } from '../training/service.ts';
import type { RunResult } from '../training/types.ts';

/** What the metrics read when scraped. */
export interface MetricsSources {
  store: Pick<Store, 'getRun' | 'activeRunCounts' | 'sentenceCounts'>;
  training: Pick<TrainingService, 'on' | 'off'>;
  /** The serving models in memory, by the kind of thread that holds them. */
  heldModels(): Record<string, HeldModels>;
}

/** Seconds: the 3-second deadline to acknowledge an interaction sits between two buckets. */
const REPLY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 3, 5, 10];
/** Seconds: from a one-second tutorial corpus to the 30-minute full-retrain budget. */
const TRAINING_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 2700, 3600];

/**
 * The bot's Prometheus metrics, in a registry of their own (so that a host bot's metrics, or a
 * second instance in tests, never collide). Observes the dispatcher as its {@link DispatchObserver}.
 */
export class BotMetrics implements DispatchObserver {
  readonly registry = new Registry();
  readonly #interactions: Counter<'command' | 'kind' | 'outcome'>;
  readonly #replyLatency: Histogram<'command' | 'kind'>;
  readonly #handlingTime: Histogram<'command' | 'kind'>;
  readonly #runs: Counter<'status' | 'kind'>;
  readonly #runSeconds: Histogram<'status' | 'kind'>;
  readonly #detach: () => void;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    // Node's figures, event-loop delay among them (nodejs_eventloop_lag_*_seconds).
    collectDefaultMetrics({ register: this.registry });
    this.#interactions = new Counter({
      name: 'lstm_bot_interactions_total',
      help: 'Interactions handled, by command, kind (command or autocomplete) and outcome (ok, error, or why it was refused).',
      labelNames: ['command', 'kind', 'outcome'],
      registers,
    });
    this.#replyLatency = new Histogram({
      name: 'lstm_bot_reply_latency_seconds',
      help: 'From the interaction reaching the dispatcher to its first answer (reply, deferral or suggestions) being sent.',
      labelNames: ['command', 'kind'],
      buckets: REPLY_BUCKETS,
      registers,
    });
    this.#handlingTime = new Histogram({
      name: 'lstm_bot_interaction_seconds',
      help: 'From the interaction reaching the dispatcher to its handling ending (the last edit of a deferred reply included).',
      labelNames: ['command', 'kind'],
      buckets: REPLY_BUCKETS,
      registers,
    });
    this.#runs = new Counter({
      name: 'lstm_bot_training_runs_total',
      help: 'Training runs ended in this process, by status and kind (full or incremental).',
      labelNames: ['status', 'kind'],
      registers,
    });
    this.#runSeconds = new Histogram({
      name: 'lstm_bot_training_run_seconds',
      help: 'Wall-clock time of the training runs ended in this process, from claim to end.',
      labelNames: ['status', 'kind'],
      buckets: TRAINING_BUCKETS,
      registers,
    });
    const { store } = sources;
    new Gauge({
      name: 'lstm_bot_training_runs_active',
      help: 'Training runs queued or running now, by state; queued is the queue length.',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = store.activeRunCounts();
        this.set({ state: 'queued' }, counts.queued);
        this.set({ state: 'running' }, counts.running);
      },
    });
    new Gauge({
      name: 'lstm_bot_models_loaded',
      help: 'Serving models held in memory, by thread: main, serving (/explain, /generate), predictions (/predict, autocomplete).',
      labelNames: ['thread'],
      registers,
      collect() {
        for (const [thread, held] of Object.entries(sources.heldModels())) this.set({ thread }, held.models);
      },
    });
    new Gauge({
      name: 'lstm_bot_model_bytes',
      help: 'Bytes the serving models hold (weights, vocabulary, 3-gram, as the model cache counts them), by thread.',
      labelNames: ['thread'],
      registers,
      collect() {
        for (const [thread, held] of Object.entries(sources.heldModels())) this.set({ thread }, held.bytes);
      },
    });
    new Gauge({
      name: 'lstm_bot_sentences',
      help: 'Sentences taught, by server.',
      labelNames: ['guild'],
      registers,
      collect() {
        // A server whose sentences were all forgotten leaves the series rather than staying at its last count.
        this.reset();
        for (const { guildId, sentences } of store.sentenceCounts()) this.set({ guild: guildId }, sentences);
      },
    });

    const onRunFinished = (_guildId: string, result: RunResult): void => this.#recordRun(store, result);
    sources.training.on('runFinished', onRunFinished);
    this.#detach = () => sources.training.off('runFinished', onRunFinished);
  }

  /** Counts an interaction and its timings; part of {@link DispatchObserver}. */
  interactionHandled(report: InteractionReport): void {
    const labels = { command: report.command, kind: report.kind };
    this.#interactions.inc({ ...labels, outcome: report.outcome });
    if (report.answeredAfterSeconds !== null) this.#replyLatency.observe(labels, report.answeredAfterSeconds);
    this.#handlingTime.observe(labels, report.seconds);
  }

  /** The metrics in Prometheus' text format, and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Stops listening to the training service. */
  close(): void {
    this.#detach();
  }

  /** The run's kind and times are the store's: the job records them whichever way the run ended. */
  #recordRun(store: MetricsSources['store'], result: RunResult): void {
    const run = store.getRun(result.runId);
    if (run === undefined) return;
    const labels = { status: result.status, kind: run.kind };
    this.#runs.inc(labels);
    if (run.startedAt !== null && run.finishedAt !== null) this.#runSeconds.observe(labels, (run.finishedAt - run.startedAt) / 1000);
  }
}
