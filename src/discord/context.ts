/**
 * Builds a {@link CommandContext} from a discord.js interaction and maps the neutral replies to
 * discord.js payloads. Every payload carries `allowedMentions: { parse: [] }`, so nothing the
 * bot repeats (taught sentences, names) can ever ping anyone, even on a host bot's client
 * configured otherwise.
 *
 * @module
 */
import { AttachmentBuilder, EmbedBuilder, MessageFlags } from 'discord.js';
import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  InteractionEditReplyOptions,
  InteractionReplyOptions,
  MessageMentionOptions,
  User,
} from 'discord.js';
import type { Logger } from 'pino';
import type { BotServices } from '../app/services.ts';
import type { Choice, CommandContext, CommandOptions, Embed, OutgoingMessage, UserRef } from '../commands/types.ts';
import { DISCORD_LIMITS, truncate } from '../text/limits.ts';

/** Never parse mentions out of the content: no `@everyone`, role or user ping. */
export const NO_MENTIONS: MessageMentionOptions = { parse: [] };


function userRef(user: User): UserRef {
  return { id: user.id, name: user.globalName ?? user.username };
}

function toEmbed(embed: Embed): EmbedBuilder {
  const builder = new EmbedBuilder();
  if (embed.title !== undefined) builder.setTitle(truncate(embed.title, DISCORD_LIMITS.embedTitle));
  if (embed.description !== undefined) builder.setDescription(truncate(embed.description, DISCORD_LIMITS.embedDescription));
  if (embed.fields !== undefined) {
    builder.addFields(
      embed.fields.slice(0, DISCORD_LIMITS.embedFields).map((field) => ({
        name: truncate(field.name, DISCORD_LIMITS.fieldName),
        value: truncate(field.value === '' ? '\u200b' : field.value, DISCORD_LIMITS.fieldValue),
        inline: field.inline ?? false,
      })),
    );
  }
  if (embed.footer !== undefined) builder.setFooter({ text: truncate(embed.footer, DISCORD_LIMITS.footer) });
  if (embed.color !== undefined) builder.setColor(embed.color);
  if (embed.image !== undefined) builder.setImage(`attachment://${embed.image}`);
  return builder;
}

/** The parts of a message shared by replies, edits and follow-ups. */
function messageBody(message: OutgoingMessage) {
  return {
    content: truncate(message.content ?? '', DISCORD_LIMITS.content),
    embeds: (message.embeds ?? []).map(toEmbed),
    files: (message.files ?? []).map((file) => new AttachmentBuilder(file.data, { name: file.name })),
    allowedMentions: NO_MENTIONS,
  };
}

/** A reply or follow-up payload. */
export function toReplyOptions(message: OutgoingMessage): InteractionReplyOptions {
  return { ...messageBody(message), ...(message.ephemeral === true ? { flags: MessageFlags.Ephemeral } : {}) };
}

/**
 * An edit payload: the edit replaces the whole message, so content, embeds and attachments are
 * always given (an empty list removes what an earlier version showed).
 */
export function toEditOptions(message: OutgoingMessage): InteractionEditReplyOptions {
  const body = messageBody(message);
  return body.files.length > 0 ? body : { ...body, attachments: [] };
}

type CommandInteraction = ChatInputCommandInteraction | AutocompleteInteraction;

function optionsOf(interaction: CommandInteraction): CommandOptions {
  const { options } = interaction;
  // Users and attachments are not sent with autocomplete requests.
  const chatInput = interaction.isChatInputCommand() ? interaction.options : null;
  return {
    string: (name) => options.getString(name),
    integer: (name) => options.getInteger(name),
    number: (name) => options.getNumber(name),
    boolean: (name) => options.getBoolean(name),
    user: (name) => {
      const user = chatInput?.getUser(name) ?? null;
      return user === null ? null : userRef(user);
    },
    attachment: (name) => {
      const attachment = chatInput?.getAttachment(name) ?? null;
      return attachment === null
        ? null
        : { name: attachment.name, url: attachment.url, size: attachment.size, contentType: attachment.contentType };
    },
    focused: () => {
      if (interaction.isChatInputCommand()) throw new Error('focused() is only available during autocomplete');
      const focused = interaction.options.getFocused(true);
      return { name: focused.name, value: String(focused.value) };
    },
  };
}

function toChoices(choices: readonly Choice[]): Choice[] {
  return choices.slice(0, DISCORD_LIMITS.choices).map((choice) => ({
    name: truncate(choice.name, DISCORD_LIMITS.choiceText),
    value: typeof choice.value === 'string' ? truncate(choice.value, DISCORD_LIMITS.choiceText) : choice.value,
  }));
}

/** The context of one chat-input command or autocomplete interaction. */
export function contextFromInteraction(interaction: CommandInteraction, services: BotServices, logger: Logger): CommandContext {
  return {
    commandName: interaction.commandName,
    options: optionsOf(interaction),
    guildId: interaction.guildId,
    channelId: interaction.channelId,
    user: userRef(interaction.user),
    memberPermissions: interaction.inGuild() ? interaction.memberPermissions : null,
    locale: interaction.locale,
    services,
    source: 'discord',
    interactionId: interaction.id,
    logger: logger.child({ interactionId: interaction.id, command: interaction.commandName, guildId: interaction.guildId }),
    get deferred() {
      return interaction.isChatInputCommand() && interaction.deferred;
    },
    get replied() {
      return interaction.isChatInputCommand() ? interaction.replied : interaction.responded;
    },
    async reply(message) {
      if (!interaction.isChatInputCommand()) throw new Error('an autocomplete request is answered with respond()');
      await interaction.reply(toReplyOptions(message));
    },
    async defer(options = {}) {
      if (!interaction.isChatInputCommand()) throw new Error('an autocomplete request cannot be deferred');
      await interaction.deferReply(options.ephemeral === true ? { flags: MessageFlags.Ephemeral } : {});
    },
    async edit(message) {
      if (!interaction.isChatInputCommand()) throw new Error('an autocomplete request has no reply to edit');
      await interaction.editReply(toEditOptions(message));
    },
    async followUp(message) {
      if (!interaction.isChatInputCommand()) throw new Error('an autocomplete request has no reply to follow');
      await interaction.followUp(toReplyOptions(message));
    },
    async respond(choices) {
      if (!interaction.isAutocomplete()) throw new Error('only an autocomplete request is answered with choices');
      await interaction.respond(toChoices(choices));
    },
  };
}
