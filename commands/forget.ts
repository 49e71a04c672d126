/**
 * `/forget sentence:<id>` or `/forget all:true [member]`: removes taught sentences. Members
 * remove their own; moderators (Manage Server) may remove anyone's. Naming another member is
 * refused by a declared precondition; which sentences a member may pick is scoped here.
 *
 * @module
 */
import { PermissionFlagsBits } from 'discord.js';
import { AUTOCOMPLETE_BUDGET_MS, withDeadline } from '../src/commands/deadline.ts';
import { describe, guildCommand } from '../src/commands/define.ts';
import type { CommandPlugin } from '../src/commands/types.ts';
import { messagesFor } from '../src/i18n/index.ts';
import { DISCORD_LIMITS, truncate } from '../src/text/limits.ts';

const forget: CommandPlugin = {
  data: guildCommand('forget', (m) => m.commands.forget.description)
    .addIntegerOption((option) =>
      describe(option.setName('sentence').setMinValue(1).setAutocomplete(true), (m) => m.commands.forget.options.sentence),
    )
    .addBooleanOption((option) => describe(option.setName('all'), (m) => m.commands.forget.options.all))
    .addUserOption((option) => describe(option.setName('member'), (m) => m.commands.forget.options.member)),

  preconditions: {
    permissions: [
      {
        permission: PermissionFlagsBits.ManageGuild,
        // Members forget their own sentences; naming another member is a moderator's act.
        appliesTo: (options, user) => {
          const member = options.user('member');
          return member !== null && member.id !== user.id;
        },
        refusal: (m) => m.forget.othersNeedManageGuild,
      },
    ],
    cooldowns: [
      {
        // Each removal moves the corpus and, sooner or later, asks for a retrain from scratch.
        per: 'member',
        limit: (settings) => settings.forgetCooldownPerMinute,
        windowMs: 60_000,
        refusal: (m, seconds) => m.forget.cooldown(seconds),
      },
    ],
  },

  async execute(ctx) {
    const m = messagesFor(ctx.locale);
    const isModerator = ctx.memberPermissions.has(PermissionFlagsBits.ManageGuild);
    const member = ctx.options.user('member');
    const sentenceId = ctx.options.integer('sentence');
    if (sentenceId !== null) {
      // Moderators may remove any sentence (or only the chosen member's); members only their own.
      const owner = isModerator ? member?.id : ctx.user.id;
      const removed = await ctx.services.forgetSentence(ctx.guildId, sentenceId, owner);
      await ctx.reply({ content: removed ? m.forget.removedOne(sentenceId) : m.forget.notFound(sentenceId), ephemeral: true });
      return removed ? undefined : { counted: false };
    }
    if (ctx.options.boolean('all') === true) {
      const author = member ?? ctx.user;
      const count = await ctx.services.forgetAuthor(ctx.guildId, author.id);
      const content = author.id === ctx.user.id ? m.forget.removedAllOwn(count) : m.forget.removedAllOf(count, author.name);
      await ctx.reply({ content, ephemeral: true });
      return count > 0 ? undefined : { counted: false };
    }
    await ctx.reply({ content: m.forget.nothingChosen, ephemeral: true });
    return { counted: false };
  },

  async autocomplete(ctx) {
    const { name, value } = ctx.options.focused();
    if (name !== 'sentence') return ctx.respond([]);
    const isModerator = ctx.memberPermissions.has(PermissionFlagsBits.ManageGuild);
    const search = ctx.services.searchSentences(ctx.guildId, value, isModerator ? undefined : ctx.user.id, DISCORD_LIMITS.choices);
    const found = await withDeadline(search, AUTOCOMPLETE_BUDGET_MS, []);
    await ctx.respond(
      found.slice(0, DISCORD_LIMITS.choices).map((sentence) => ({
        name: truncate(`#${sentence.id} ${sentence.text}`, DISCORD_LIMITS.choiceText),
        value: sentence.id,
      })),
    );
  },
};

export default forget;
