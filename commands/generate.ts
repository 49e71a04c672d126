/**
 * `/generate start:<words> [length] [temperature]`: lets the model write on from a few words.
 *
 * @module
 */
import { escapeMarkdown } from 'discord.js';
import type { GenerateOutcome } from '../src/app/services.ts';
import { memberAndServerCooldowns } from '../src/commands/cooldown-rules.ts';
import { describe, guildCommand } from '../src/commands/define.ts';
import type { CommandPlugin } from '../src/commands/types.ts';
import type { Messages } from '../src/i18n/index.ts';
import { messagesFor } from '../src/i18n/index.ts';
import { detokenize } from '../src/lm/tokenizer.ts';
import { formatWordList } from '../src/text/markdown.ts';

const DEFAULT_LENGTH = 20;
const DEFAULT_TEMPERATURE = 1;

/** The whole text with the generated part in bold (markdown bold may not start with a space). */
function highlightContinuation(start: readonly string[], generated: readonly string[]): string {
  const startText = detokenize(start);
  const continuation = detokenize([...start, ...generated]).slice(startText.length);
  const gap = continuation.length - continuation.trimStart().length;
  const written = continuation.trimStart();
  return escapeMarkdown(startText) + continuation.slice(0, gap) + (written === '' ? '' : `**${escapeMarkdown(written)}**`);
}

function render(outcome: GenerateOutcome, m: Messages): string {
  switch (outcome.status) {
    case 'empty_input':
      return m.common.emptyInput;
    case 'no_model':
      return m.common.noModel(outcome.sentences, outcome.sentencesNeeded);
    case 'busy':
      return m.common.busy;
    case 'ok': {
      return [
        m.generate.result(highlightContinuation(outcome.start, outcome.generated)),
        ...(outcome.unknown.length > 0 ? [m.common.unknownWords(formatWordList(outcome.unknown))] : []),
        `-# ${m.common.modelFooter(outcome.model.version, m.common.modelKind(outcome.model))}`,
      ].join('\n');
    }
  }
}

const generate: CommandPlugin = {
  data: guildCommand('generate', (m) => m.commands.generate.description)
    .addStringOption((option) =>
      describe(option.setName('start').setRequired(true).setMaxLength(300), (m) => m.commands.generate.options.start),
    )
    .addIntegerOption((option) =>
      describe(option.setName('length').setMinValue(1).setMaxValue(50), (m) => m.commands.generate.options.length),
    )
    .addNumberOption((option) =>
      describe(option.setName('temperature').setMinValue(0.1).setMaxValue(2), (m) => m.commands.generate.options.temperature),
    ),

  preconditions: { cooldowns: memberAndServerCooldowns('generate') },

  async execute(ctx) {
    await ctx.defer();
    const outcome = await ctx.services.generate(
      ctx.guildId,
      ctx.options.string('start') ?? '',
      ctx.options.integer('length') ?? DEFAULT_LENGTH,
      ctx.options.number('temperature') ?? DEFAULT_TEMPERATURE,
    );
    await ctx.edit({ content: render(outcome, messagesFor(ctx.locale)) });
    // Nothing generated, nothing counted: the member may try again at once.
    return outcome.status === 'ok' ? undefined : { counted: false };
  },
};

export default generate;
