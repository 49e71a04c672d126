/**
 * `/teach sentence:<text>`: adds a sentence to this server's corpus and shows how the model will
 * see it. Rate-limited per member (`TEACH_COOLDOWN_PER_MINUTE`).
 *
 * @module
 */
import type { TeachOutcome } from '../src/app/services.ts';
import { SENTENCE_LIMITS, checkSentence } from '../src/app/teach-policy.ts';
import { describe, guildCommand } from '../src/commands/define.ts';
import type { CommandPlugin } from '../src/commands/types.ts';
import type { Messages } from '../src/i18n/index.ts';
import { messagesFor } from '../src/i18n/index.ts';
import { formatTokens } from '../src/text/markdown.ts';

function describeOutcome(outcome: TeachOutcome, m: Messages): string {
  switch (outcome.status) {
    case 'added':
      return [
        m.teach.added(formatTokens(outcome.tokens)),
        ...(outcome.removedMarkup > 0 ? [m.teach.removedMarkup(outcome.removedMarkup)] : []),
        m.teach.untilRetrain(outcome.untilRetrain),
      ].join('\n');
    case 'empty':
      return m.teach.empty;
    case 'too_long':
      return m.teach.tooLong(outcome.length, outcome.maxLength);
    case 'too_many_tokens':
      return m.teach.tooManyTokens(outcome.tokens, outcome.maxTokens);
    case 'no_words':
      return m.teach.noWords;
    case 'duplicate':
      return m.teach.duplicate(outcome.existingId);
  }
}

const teach: CommandPlugin = {
  data: guildCommand('teach', (m) => m.commands.teach.description).addStringOption((option) =>
    describe(option.setName('sentence').setRequired(true).setMaxLength(SENTENCE_LIMITS.maxLength), (m) => m.commands.teach.options.sentence),
  ),

  preconditions: {
    cooldowns: [
      {
        per: 'member',
        // A sentence refused for its form never counts, and its refusal says why, not "wait".
        appliesTo: (options) => checkSentence(options.string('sentence') ?? '').status === 'ok',
        limit: (settings) => settings.teachCooldownPerMinute,
        windowMs: 60_000,
        refusal: (m, seconds) => m.teach.cooldown(seconds),
      },
    ],
  },

  async execute(ctx) {
    const outcome = await ctx.services.teach({
      guildId: ctx.guildId,
      channelId: ctx.channelId,
      authorId: ctx.user.id,
      text: ctx.options.string('sentence') ?? '',
      source: ctx.source,
      ...(ctx.interactionId === null ? {} : { interactionId: ctx.interactionId }),
    });
    await ctx.reply({ content: describeOutcome(outcome, messagesFor(ctx.locale)), ephemeral: true });
    // A sentence the server already knows changed nothing: it does not count either.
    return outcome.status === 'added' ? undefined : { counted: false };
  },
};

export default teach;
