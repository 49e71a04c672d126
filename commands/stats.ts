/**
 * `/stats`: this server's corpus, model, training schedule and last run, with the loss curve.
 *
 * @module
 */
import type { GuildStats } from '../src/app/services.ts';
import { guildCommand } from '../src/commands/define.ts';
import type { CommandPlugin, EmbedField } from '../src/commands/types.ts';
import { formatRelativeTime, messagesFor, type Messages } from '../src/i18n/index.ts';
import { mixturePerplexity, servedFrequencyWeights, servedGeometricWeights } from '../src/lm/served-model.ts';

const CHART_FILE = 'loss.png';

function statsFields(stats: GuildStats, locale: string, now: number): EmbedField[] {
  const m = messagesFor(locale);
  const { fields } = m.stats;
  const model = stats.model;
  const result: EmbedField[] = [
    { name: fields.sentences, value: String(stats.sentences), inline: true },
    { name: fields.contributors, value: String(stats.contributors), inline: true },
    { name: fields.vocabulary, value: stats.vocabularySize === null ? m.common.none : String(stats.vocabularySize), inline: true },
    {
      name: fields.model,
      value:
        model === null
          ? m.stats.noModel
          : m.stats.model(model.version, m.common.modelKind(model), formatRelativeTime(model.createdAt, now, locale), model.corpusSentences),
    },
  ];
  const choice = model?.choice;
  if (choice != null) {
    const perplexity = (value: number): string => value.toFixed(1);
    result.push({
      name: fields.served,
      value: m.stats.served(
        m.common.modelKind({
          kind: choice.served,
          lstmWeight: choice.lstmWeight,
          geometric: servedGeometricWeights(choice),
          frequencyWeights: servedFrequencyWeights(choice),
        }),
        perplexity(mixturePerplexity(choice)),
        perplexity(choice.lstmPerplexity),
        perplexity(choice.kneserNeyPerplexity),
        choice.folds ?? null,
      ),
    });
  }
  const kept = model?.keptWeights;
  if (kept != null) {
    const epochs = model?.history.length ?? 0;
    result.push({
      name: fields.metrics,
      value: m.stats.metrics(
        kept.validationLoss?.toFixed(3) ?? '–',
        kept.validationAccuracy === undefined ? '–' : `${(kept.validationAccuracy * 100).toFixed(1)}%`,
        [
          kept.source === 'average' ? m.stats.keptAverage(kept.snapshots, epochs) : m.stats.keptEpoch(kept.epoch, epochs),
          ...(kept.refitOn === undefined ? [] : [m.stats.refitted(kept.refitOn)]),
        ].join(''),
      ),
    });
  }
  result.push({ name: fields.nextRetrain, value: nextRetrain(stats, m, locale, now) });
  if (stats.lastRun !== null) {
    const { id, status, finishedAt, failure, note } = stats.lastRun;
    const statusText = m.stats.runStatus[status] ?? status;
    const summary = finishedAt === null ? statusText : m.stats.lastRun(statusText, formatRelativeTime(finishedAt, now, locale));
    const details = [failure === null ? null : m.stats.lastRunFailure(m.runFailures[failure], id), note].filter((line) => line !== null);
    result.push({ name: fields.lastRun, value: [summary, ...details].join('\n') });
  }
  return result;
}

/** When the schedule retrains next: after failed runs, the attempt it is at or that it gave up. */
function nextRetrain(stats: GuildStats, m: Messages, locale: string, now: number): string {
  const { retries, nextRetrainAt } = stats;
  if (retries?.nextAttemptAt === null) return m.stats.retriesStopped(retries.failures);
  if (retries !== null) {
    // The schedule looks at the guild on its next check after the wait.
    const at = Math.max(retries.nextAttemptAt, nextRetrainAt ?? retries.nextAttemptAt);
    return m.stats.retrying(retries.failures, retries.maxAttempts, formatRelativeTime(at, now, locale));
  }
  if (nextRetrainAt === null) return m.stats.notDue(stats.changesSinceModel, stats.retrainMinChanges);
  return formatRelativeTime(nextRetrainAt, now, locale);
}

const stats: CommandPlugin = {
  data: guildCommand('stats', (m) => m.commands.stats.description),

  async execute(ctx) {
    // Drawing the chart takes a moment; acknowledge first.
    await ctx.defer();
    const figures = await ctx.services.stats(ctx.guildId);
    const history = figures.model?.history ?? [];
    const chart = history.length > 0 ? await ctx.services.lossChart(history, ctx.locale) : null;
    await ctx.edit({
      embeds: [
        {
          title: messagesFor(ctx.locale).stats.title,
          fields: statsFields(figures, ctx.locale, Date.now()),
          ...(chart === null ? {} : { image: CHART_FILE }),
        },
      ],
      ...(chart === null ? {} : { files: [{ name: CHART_FILE, data: chart }] }),
    });
  },
};

export default stats;
