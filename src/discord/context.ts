/**
 * Builds the command and autocomplete contexts from discord.js interactions and maps the neutral
 * replies to discord.js payloads. Every payload carries `allowedMentions: { parse: [] }`, so
 * nothing the bot repeats (taught sentences, names) can ever ping anyone, even on a host bot's
 * client configured otherwise.
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
import type {
  AutocompleteContext,
  Choice,
  CommandContext,
  Embed,
  InteractionContext,
  OptionValues,
  OutgoingMessage,
  UserRef,
} from '../commands/types.ts';
import { DISCORD_LIMITS, truncate } from '../text/limits.ts';

/** Never parse mentions out of the content: no `@everyone`, role or user ping. */
export const NO_MENTIONS: MessageMentionOptions = { parse: [] };

/** How long Discord accepts edits and follow-ups of an interaction's replies after its creation. */
export const INTERACTION_TOKEN_LIFETIME_MS = 15 * 60_000;

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

/** What both kinds of context take from an interaction. */
function interactionContext(
  interaction: ChatInputCommandInteraction | AutocompleteInteraction,
  services: BotServices,
  logger: Logger,
): InteractionContext {
  return {
    commandName: interaction.commandName,
    guildId: interaction.guildId,
    channelId: interaction.channelId,
    user: userRef(interaction.user),
    memberPermissions: interaction.inGuild() ? interaction.memberPermissions : null,
    locale: interaction.locale,
    services,
    logger: logger.child({ interactionId: interaction.id, command: interaction.commandName, guildId: interaction.guildId }),
  };
}

/** The getters both kinds of interaction have for typed values. */
function optionValues(options: Pick<AutocompleteInteraction['options'], 'getString' | 'getInteger' | 'getNumber' | 'getBoolean'>): OptionValues {
  return {
    string: (name) => options.getString(name),
    integer: (name) => options.getInteger(name),
    number: (name) => options.getNumber(name),
    boolean: (name) => options.getBoolean(name),
  };
}

/** The context of a chat-input command interaction. */
export function commandContext(interaction: ChatInputCommandInteraction, services: BotServices, logger: Logger): CommandContext {
  const { options } = interaction;
  return {
    ...interactionContext(interaction, services, logger),
    options: {
      ...optionValues(options),
      user: (name) => {
        const user = options.getUser(name);
        return user === null ? null : userRef(user);
      },
      subcommand: () => options.getSubcommand(false),
    },
    source: 'discord',
    interactionId: interaction.id,
    get deferred() {
      return interaction.deferred;
    },
    get replied() {
      return interaction.replied;
    },
    async reply(message) {
      await interaction.reply(toReplyOptions(message));
    },
    async defer(options = {}) {
      await interaction.deferReply(options.ephemeral === true ? { flags: MessageFlags.Ephemeral } : {});
    },
    async edit(message) {
      await interaction.editReply(toEditOptions(message));
    },
    async followUp(message) {
      await interaction.followUp(toReplyOptions(message));
    },
    repliesExpireAt: interaction.createdTimestamp + INTERACTION_TOKEN_LIFETIME_MS,
    async sendToChannel(message) {
      const channel = interaction.channelId === null ? null : await interaction.client.channels.fetch(interaction.channelId);
      if (channel === null || !channel.isSendable()) throw new Error(`cannot post in channel ${interaction.channelId}`);
      await channel.send(messageBody(message));
    },
  };
}

/** The context of an autocomplete interaction. */
export function autocompleteContext(interaction: AutocompleteInteraction, services: BotServices, logger: Logger): AutocompleteContext {
  const { options } = interaction;
  return {
    ...interactionContext(interaction, services, logger),
    options: {
      ...optionValues(options),
      focused: () => {
        const focused = options.getFocused(true);
        return { name: focused.name, value: String(focused.value) };
      },
    },
    get responded() {
      return interaction.responded;
    },
    async respond(choices) {
      await interaction.respond(toChoices(choices));
    },
  };
}

function toChoices(choices: readonly Choice[]): Choice[] {
  return choices.slice(0, DISCORD_LIMITS.choices).map((choice) => ({
    name: truncate(choice.name, DISCORD_LIMITS.choiceText),
    value: typeof choice.value === 'string' ? truncate(choice.value, DISCORD_LIMITS.choiceText) : choice.value,
  }));
}
