/**
 * `/sentences [page] [member]`: recently taught sentences with their ids (for `/forget`).
 *
 * @module
 */
import { escapeMarkdown, userMention } from 'discord.js';
import { describe, guildCommand } from '../src/commands/define.ts';
import type { CommandPlugin } from '../src/commands/types.ts';
import { formatRelativeTime, messagesFor } from '../src/i18n/index.ts';
import { truncate } from '../src/text/limits.ts';

const PAGE_SIZE = 10;
const MAX_SHOWN_LENGTH = 120;

const sentences: CommandPlugin = {
  data: guildCommand('sentences', (m) => m.commands.sentences.description)
    .addIntegerOption((option) => describe(option.setName('page').setMinValue(1), (m) => m.commands.sentences.options.page))
    .addUserOption((option) => describe(option.setName('member'), (m) => m.commands.sentences.options.member)),

  async execute(ctx) {
    const m = messagesFor(ctx.locale);
    const member = ctx.options.user('member');
    const result = await ctx.services.listSentences(ctx.guildId, {
      ...(member === null ? {} : { authorId: member.id }),
      page: ctx.options.integer('page') ?? 1,
      pageSize: PAGE_SIZE,
    });
    if (result.total === 0) {
      await ctx.reply({ content: m.sentences.empty, ephemeral: true });
      return;
    }
    const now = Date.now();
    const title =
      member === null
        ? m.sentences.title(result.page, result.pageCount, result.total)
        : m.sentences.titleOf(escapeMarkdown(member.name), result.page, result.pageCount, result.total);
    const lines = result.sentences.map(
      (sentence) =>
        `\`#${sentence.id}\` ${escapeMarkdown(truncate(sentence.text, MAX_SHOWN_LENGTH))} · ${userMention(sentence.authorId)} · ${formatRelativeTime(sentence.createdAt, now, ctx.locale)}`,
    );
    const next = result.page < result.pageCount ? [`-# ${m.sentences.more(result.page + 1)}`] : [];
    await ctx.reply({ content: [`**${title}**`, ...lines, ...next].join('\n'), ephemeral: true });
  },
};

export default sentences;
