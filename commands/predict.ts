/**
 * `/predict text:<words> [count]`: the likeliest next words as a table of bars.
 *
 * @module
 */
import type { PredictOutcome } from '../src/app/services.ts';
import { AUTOCOMPLETE_LIMITS, memberAndServerCooldowns } from '../src/commands/cooldown-rules.ts';
import { AUTOCOMPLETE_BUDGET_MS, withDeadline } from '../src/commands/deadline.ts';
import { describe, guildCommand } from '../src/commands/define.ts';
import type { Choice, CommandPlugin } from '../src/commands/types.ts';
import type { Messages } from '../src/i18n/index.ts';
import { messagesFor } from '../src/i18n/index.ts';
import { detokenize } from '../src/lm/tokenizer.ts';
import { barTable } from '../src/text/bars.ts';
import { DISCORD_LIMITS } from '../src/text/limits.ts';
import { codeBlock, formatWordList, inlineCode } from '../src/text/markdown.ts';
import { percent } from '../src/text/percent.ts';

const DEFAULT_COUNT = 5;

function render(outcome: PredictOutcome, m: Messages): string {
  switch (outcome.status) {
    case 'empty_input':
      return m.common.emptyInput;
    case 'no_model':
      return m.common.noModel(outcome.sentences, outcome.sentencesNeeded);
    case 'all_unknown':
      return m.predict.allUnknown(formatWordList(outcome.unknown));
    case 'ok': {
      const table = barTable(
        outcome.predictions.map(({ word, probability }) => ({ label: word, fraction: probability, value: percent(probability) })),
      );
      return [
        `**${m.predict.title(inlineCode(detokenize(outcome.tokens)))}**`,
        ...(outcome.truncated ? [m.predict.truncated(outcome.contextUsed.length, inlineCode(detokenize(outcome.contextUsed)))] : []),
        ...(outcome.unknown.length > 0 ? [m.common.unknownWords(formatWordList(outcome.unknown))] : []),
        codeBlock(table),
        `-# ${m.common.modelFooter(outcome.model.version, m.common.modelKind(outcome.model))}`,
      ].join('\n');
    }
  }
}

const predict: CommandPlugin = {
  data: guildCommand('predict', (m) => m.commands.predict.description)
    .addStringOption((option) =>
      describe(option.setName('text').setRequired(true).setMaxLength(300).setAutocomplete(true), (m) => m.commands.predict.options.text),
    )
    .addIntegerOption((option) =>
      describe(option.setName('count').setMinValue(1).setMaxValue(10), (m) => m.commands.predict.options.count),
    ),

  preconditions: { cooldowns: memberAndServerCooldowns('predict'), autocompleteLimits: AUTOCOMPLETE_LIMITS },

  async execute(ctx) {
    // A large model can take a moment; Discord wants an acknowledgement within 3 s.
    await ctx.defer();
    const outcome = await ctx.services.predict(ctx.guildId, ctx.options.string('text') ?? '', ctx.options.integer('count') ?? DEFAULT_COUNT);
    await ctx.edit({ content: render(outcome, messagesFor(ctx.locale)) });
  },

  async autocomplete(ctx) {
    const { name, value } = ctx.options.focused();
    if (name !== 'text') return ctx.respond([]);
    const completions = await withDeadline(ctx.services.complete(ctx.guildId, value, DISCORD_LIMITS.choices), AUTOCOMPLETE_BUDGET_MS, []);
    const choices: Choice[] = completions
      .filter((text) => text.length > 0 && text.length <= DISCORD_LIMITS.choiceText)
      .slice(0, DISCORD_LIMITS.choices)
      .map((text) => ({ name: text, value: text }));
    await ctx.respond(choices);
  },
};

export default predict;
