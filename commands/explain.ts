/**
 * `/explain [text] [topic]`: the limitations of RNNs, measured on this server's model for the
 * member's words (or an example from the server's sentences), as one or more messages and a chart
 * of each word's influence.
 *
 * @module
 */
import { memberAndServerCooldowns } from '../src/commands/cooldown-rules.ts';
import { describe, guildCommand } from '../src/commands/define.ts';
import type { CommandPlugin } from '../src/commands/types.ts';
import { explainMessages, explainMessagesIn } from '../src/explain/i18n/index.ts';
import { EXPLAIN_TOPICS, isExplainTopic } from '../src/explain/topics.ts';
import { messagesFor } from '../src/i18n/index.ts';

const CHART_FILE = 'influence.png';

const explain: CommandPlugin = {
  data: guildCommand('explain', (m) => m.commands.explain.description)
    .addStringOption((option) => describe(option.setName('text').setMaxLength(300), (m) => m.commands.explain.options.text))
    .addStringOption((option) =>
      describe(option.setName('topic'), (m) => m.commands.explain.options.topic).addChoices(
        ...EXPLAIN_TOPICS.map((topic) => ({
          name: explainMessagesIn('en').topics[topic],
          name_localizations: { 'zh-CN': explainMessagesIn('zh-CN').topics[topic], 'zh-TW': explainMessagesIn('zh-TW').topics[topic] },
          value: topic,
        })),
      ),
    ),

  preconditions: { cooldowns: memberAndServerCooldowns('explain') },

  async execute(ctx) {
    const m = explainMessages(ctx.locale);
    const topic = ctx.options.string('topic');
    // Discord only sends the offered choices; the console passes whatever was typed.
    if (topic !== null && !isExplainTopic(topic)) {
      await ctx.reply({ content: m.unknownTopic(topic, EXPLAIN_TOPICS.map((name) => `\`${name}\``).join(', ')), ephemeral: true });
      return { counted: false };
    }
    const common = messagesFor(ctx.locale).common;
    const admission = ctx.services.explain(ctx.guildId, {
      text: ctx.options.string('text') ?? undefined,
      topic: topic ?? undefined,
      locale: ctx.locale,
    });
    if (admission.status === 'busy') {
      await ctx.reply({ content: common.busy, ephemeral: true });
      return { counted: false };
    }
    // Measuring takes up to a second on a large model, after those queued before; Discord wants an
    // answer within 3 s.
    await ctx.defer();
    const outcome = await admission.outcome;
    if (outcome.status === 'no_model') {
      await ctx.edit({ content: common.noModel(outcome.sentences, outcome.sentencesNeeded) });
      return;
    }
    if (outcome.status === 'busy') {
      await ctx.edit({ content: common.busy });
      return { counted: false };
    }
    const [first = '', ...rest] = outcome.pages;
    await ctx.edit({ content: first, ...(outcome.chart === undefined ? {} : { files: [{ name: CHART_FILE, data: outcome.chart }] }) });
    for (const page of rest) await ctx.followUp({ content: page });
  },
};

export default explain;
