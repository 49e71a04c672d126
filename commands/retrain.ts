/**
 * `/retrain [full]` (moderators): starts or joins this server's training run and follows it in
 * one message: throttled progress edits, then a summary with the loss curve.
 *
 * @module
 */
import { PermissionFlagsBits } from 'discord.js';
import type { BotServices, RunProgress, RunResult } from '../src/app/services.ts';
import { describe, guildCommand } from '../src/commands/define.ts';
import { LatestValueThrottle } from '../src/commands/throttle.ts';
import type { CommandPlugin, OutgoingMessage } from '../src/commands/types.ts';
import type { Messages } from '../src/i18n/index.ts';
import { durationIn, formatDuration, messagesFor } from '../src/i18n/index.ts';
import { progressBar } from '../src/text/bars.ts';
import { runFailureCause } from '../src/training/failure.ts';
import { trainsEpochs } from '../src/training/types.ts';

/** Discord rate-limits edits of one message; one edit every 2 s stays well inside the limit. */
export const PROGRESS_EDIT_INTERVAL_MS = 2000;

/**
 * How long before the reply's token expires the last edit is made: an edit after it is refused
 * (401, counted against the bot's invalid-request limit), and clocks differ a little.
 */
export const LAST_EDIT_MARGIN_MS = 60_000;

const CHART_FILE = 'loss.png';

/** Share of the run done: whole epochs finished plus the current epoch's batches. */
function completion(progress: RunProgress): number {
  if (progress.maxEpochs <= 0) return 0;
  const batches = progress.batchesPerEpoch > 0 ? progress.batch / progress.batchesPerEpoch : 0;
  return (Math.max(0, progress.epoch - 1) + batches) / progress.maxEpochs;
}

function renderProgress(header: string, progress: RunProgress | null, m: Messages, locale: string): string {
  if (progress === null) return `${header}\n${m.retrain.phases.queued}`;
  // Epoch counters and the bar only mean something while epochs run.
  if (!trainsEpochs(progress.phase)) return `${header}\n${m.retrain.phases[progress.phase]}`;
  const details = [
    progressBar(completion(progress)),
    ...(progress.loss === null ? [] : [m.retrain.loss(progress.loss.toFixed(3))]),
    ...(progress.etaSeconds === null ? [] : [m.retrain.eta(formatDuration(progress.etaSeconds, locale))]),
  ];
  return [
    header,
    progress.phase === 'cross-validating'
      ? m.retrain.crossValidation(progress.epoch, progress.maxEpochs)
      : m.retrain.progress(progress.epoch, progress.maxEpochs, m.retrain.phases[progress.phase]),
    `\`${details.join('  ')}\``,
  ].join('\n');
}

const formatLoss = (loss: number | undefined): string => (loss === undefined ? '–' : loss.toFixed(3));

async function renderResult(result: RunResult, services: BotServices, locale: string): Promise<OutgoingMessage> {
  const m = messagesFor(locale);
  // The error is for operators (it can name files): members get its cause and the run as reference.
  if (result.status === 'failed') return { content: m.retrain.failed(m.runFailures[runFailureCause(result.error)], result.runId) };
  if (result.status === 'cancelled') return { content: m.retrain.cancelled };
  const chart = result.history.length > 0 ? await services.lossChart(result.history, locale) : null;
  const { fields } = m.retrain;
  return {
    content: `**${m.retrain.succeeded}**`,
    embeds: [
      {
        fields: [
          { name: fields.sentences, value: String(result.sentences), inline: true },
          { name: fields.vocabulary, value: String(result.vocabularySize), inline: true },
          { name: fields.duration, value: formatDuration(result.seconds, locale), inline: true },
          { name: fields.loss, value: `${formatLoss(result.finalLoss)} / ${formatLoss(result.validationLoss)}`, inline: true },
          {
            name: fields.accuracy,
            value: result.validationAccuracy === undefined ? '–' : `${(result.validationAccuracy * 100).toFixed(1)}%`,
            inline: true,
          },
          { name: fields.version, value: `v${result.modelVersion}`, inline: true },
          {
            name: fields.promoted,
            value: result.promoted
              ? m.retrain.promoted
              : result.note === undefined
                ? m.retrain.notPromotedNoReason
                : m.retrain.notPromoted(result.note),
          },
        ],
        ...(chart === null ? {} : { image: CHART_FILE }),
      },
    ],
    ...(chart === null ? {} : { files: [{ name: CHART_FILE, data: chart }] }),
  };
}

const retrain: CommandPlugin = {
  data: guildCommand('retrain', (m) => m.commands.retrain.description)
    // Hides the command from members by default; the precondition below is what enforces it.
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .addBooleanOption((option) => describe(option.setName('full'), (m) => m.commands.retrain.options.full)),

  preconditions: {
    permissions: [{ permission: PermissionFlagsBits.ManageGuild, refusal: (m) => m.errors.needsManageGuild }],
    cooldowns: [
      {
        // A full retrain holds the training slot for up to half an hour: one per interval and server.
        per: 'server',
        appliesTo: (options) => options.boolean('full') === true,
        limit: () => 1,
        windowMs: (settings) => settings.fullRetrainMinIntervalHours * 3_600_000,
        refusal: (m, seconds) => m.retrain.fullNotDue(durationIn(m, seconds)),
      },
    ],
  },

  async execute(ctx) {
    const m = messagesFor(ctx.locale);
    await ctx.defer();
    const full = ctx.options.boolean('full') ?? false;
    const outcome = ctx.services.retrain(ctx.guildId, { full, requestedBy: ctx.user.id });
    if (outcome.status === 'full_not_due') {
      await ctx.edit({ content: m.retrain.fullNotDue(durationIn(m, (outcome.allowedAt - Date.now()) / 1000)) });
      return { counted: false };
    }
    const { handle } = outcome;
    const header = handle.alreadyActive ? m.retrain.joined : m.retrain.started;
    const edits = new LatestValueThrottle<RunProgress | null>(
      PROGRESS_EDIT_INTERVAL_MS,
      (progress) => ctx.edit({ content: renderProgress(header, progress, m, ctx.locale) }),
      (error) => ctx.logger.warn({ err: error, runId: handle.runId }, 'could not show training progress'),
    );
    edits.push(handle.progress());
    const unsubscribe = handle.onProgress((progress) => edits.push(progress));
    // A run can outlast the reply's token (a full one takes up to 30 minutes, plus its wait in the
    // queue): edits then stop in time, and the summary goes to the channel.
    const handOff: { lastEdit: Promise<void> | null } = { lastEdit: null };
    const handOver = (): void => {
      unsubscribe();
      handOff.lastEdit = edits.close().then(() => ctx.edit({ content: `${header}\n${m.retrain.resultInChannel}` }));
    };
    const handOverTimer =
      ctx.repliesExpireAt === null ? undefined : setTimeout(handOver, Math.max(0, ctx.repliesExpireAt - LAST_EDIT_MARGIN_MS - Date.now()));
    let result: RunResult;
    try {
      result = await handle.done;
    } finally {
      clearTimeout(handOverTimer);
      unsubscribe();
      await edits.close();
    }
    const summary = await renderResult(result, ctx.services, ctx.locale);
    if (handOff.lastEdit === null) {
      await ctx.edit(summary);
    } else {
      await handOff.lastEdit.catch((error: unknown) => ctx.logger.warn({ err: error, runId: handle.runId }, 'could not say where the training result goes'));
      // Members who cannot be shown the summary here still find the run in /stats.
      await ctx.sendToChannel(summary).catch((error: unknown) => ctx.logger.warn({ err: error, runId: handle.runId }, 'could not post the training result in the channel'));
    }
    // Joining a run already under way started no full retrain.
    return full && handle.alreadyActive ? { counted: false } : undefined;
  },
};

export default retrain;
