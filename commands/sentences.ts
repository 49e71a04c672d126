/**
 * `/sentences list [page] [member]`: recently taught sentences with their ids (for `/forget`).
 *
 * `/sentences export [scope]`: a member's own sentences in this server as a text file, sent
 * privately; a moderator (Manage Server) may export the whole server's. The file holds the
 * sentences only, one per line, oldest first: no member, no time, so nothing of another member
 * is in a member's file, and `lstm-bot import` reads any of them back.
 *
 * @module
 */
import { PermissionFlagsBits, escapeMarkdown, userMention } from 'discord.js';
import { en } from '../src/i18n/en.ts';
import { describe, guildCommand } from '../src/commands/define.ts';
import type { CommandPlugin, GuildCommandContext } from '../src/commands/types.ts';
import { formatRelativeTime, localizations, messagesFor } from '../src/i18n/index.ts';
import type { Messages } from '../src/i18n/index.ts';
import { truncate } from '../src/text/limits.ts';

const PAGE_SIZE = 10;
const MAX_SHOWN_LENGTH = 120;

/** Whose sentences an export holds. */
const SCOPES = ['mine', 'server'] as const;

const scopeChoice = (scope: (typeof SCOPES)[number]) => {
  const pick = (m: Messages) => m.commands.sentences.export.scopes[scope];
  return { name: pick(en), name_localizations: localizations(pick), value: scope };
};

async function listSentences(ctx: GuildCommandContext): Promise<void> {
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
}

async function exportSentences(ctx: GuildCommandContext): Promise<void> {
  const m = messagesFor(ctx.locale);
  const wholeServer = ctx.options.string('scope') === 'server';
  // A large server's corpus takes a moment to read and upload.
  await ctx.defer({ ephemeral: true });
  const texts = await ctx.services.exportSentences(ctx.guildId, wholeServer ? {} : { authorId: ctx.user.id });
  if (texts.length === 0) {
    await ctx.edit({ content: wholeServer ? m.sentences.empty : m.sentences.nothingToExport });
    return;
  }
  const name = wholeServer ? `sentences-${ctx.guildId}.txt` : `my-sentences-${ctx.guildId}.txt`;
  await ctx.edit({
    content: wholeServer ? m.sentences.exportedServer(texts.length) : m.sentences.exported(texts.length),
    files: [{ name, data: Buffer.from(`${texts.join('\n')}\n`, 'utf8') }],
  });
}

const sentences: CommandPlugin = {
  data: guildCommand('sentences', (m) => m.commands.sentences.description)
    .addSubcommand((list) =>
      describe(list.setName('list'), (m) => m.commands.sentences.list.description)
        .addIntegerOption((option) => describe(option.setName('page').setMinValue(1), (m) => m.commands.sentences.list.options.page))
        .addUserOption((option) => describe(option.setName('member'), (m) => m.commands.sentences.list.options.member)),
    )
    .addSubcommand((exported) =>
      describe(exported.setName('export'), (m) => m.commands.sentences.export.description).addStringOption((option) =>
        describe(option.setName('scope'), (m) => m.commands.sentences.export.options.scope).addChoices(...SCOPES.map(scopeChoice)),
      ),
    ),

  preconditions: {
    permissions: [
      {
        permission: PermissionFlagsBits.ManageGuild,
        // Members export their own sentences; the whole server's is a moderator's act.
        appliesTo: (options) => options.subcommand() === 'export' && options.string('scope') === 'server',
        refusal: (m) => m.sentences.exportNeedsManageGuild,
      },
    ],
  },

  async execute(ctx) {
    if (ctx.options.subcommand() === 'export') await exportSentences(ctx);
    else await listSentences(ctx);
  },
};

export default sentences;
