/**
 * Builders for INTERACTION_CREATE payloads shaped like the ones Discord sends (API v10), for
 * dispatching through {@link FakeDiscord.sendInteraction}. Every field discord.js 14 relies on is
 * present: `entitlements`, `authorizing_integration_owners`, `data.type`, `member.user`,
 * `app_permissions`, `channel`, `guild_locale`; without them the client drops the interaction.
 */
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  ChannelType,
  InteractionContextType,
  InteractionType,
  Locale,
  PermissionFlagsBits,
  type APIApplicationCommandAutocompleteInteraction,
  type APIApplicationCommandInteractionDataOption,
  type APIAttachment,
  type APIChatInputApplicationCommandInteraction,
  type APIInteractionDataResolved,
  type APIInteractionGuildMember,
  type APIUser,
  type GuildMemberFlags,
} from 'discord.js';

const DISCORD_EPOCH_MS = 1_420_070_400_000n;
let snowflakeCounter = 0n;

/**
 * A new, unique snowflake id (19 digits today). The high bits carry the time (now by default) as
 * Discord's do, so `createdTimestamp` of anything built from it is that time; a process-wide
 * counter fills the low 22 bits, so ids are unique within a test process.
 */
export function snowflake(at: number = Date.now()): string {
  snowflakeCounter += 1n;
  const millis = BigInt(at) - DISCORD_EPOCH_MS;
  return ((millis << 22n) | (snowflakeCounter & 0x3f_ffffn)).toString();
}

/** Permission bits as a plain member has them in an ordinary text channel. */
export const MEMBER_PERMISSIONS: bigint =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.AddReactions |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.UseApplicationCommands;

/** What an installed bot can do in a guild text channel by default. */
export const BOT_GUILD_PERMISSIONS: bigint = MEMBER_PERMISSIONS | PermissionFlagsBits.UseExternalEmojis;

/** Discord documents these as the app permissions in a DM with the bot. */
export const BOT_DM_PERMISSIONS: bigint =
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.MentionEveryone |
  PermissionFlagsBits.UseExternalEmojis;

/** 10 MiB, the per-file upload limit of an unboosted guild. */
const DEFAULT_ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024;

/** Who invokes an interaction; omitted fields get stable defaults. */
export interface UserInput {
  id?: string;
  username?: string;
  globalName?: string | null;
}

const defaultUserId = snowflake();

/** A full user object as it appears in `member.user` or `user`. */
export function apiUser(input: UserInput = {}): APIUser {
  const id = input.id ?? defaultUserId;
  return {
    id,
    username: input.username ?? `member_${id.slice(-4)}`,
    global_name: input.globalName ?? null,
    discriminator: '0',
    avatar: null,
    primary_guild: null,
  };
}

/** An option value whose type is given explicitly (needed for Number options with whole values, users, channels, roles). */
export interface TypedOptionValue {
  type:
    | ApplicationCommandOptionType.String
    | ApplicationCommandOptionType.Integer
    | ApplicationCommandOptionType.Number
    | ApplicationCommandOptionType.Boolean
    | ApplicationCommandOptionType.User
    | ApplicationCommandOptionType.Channel
    | ApplicationCommandOptionType.Role
    | ApplicationCommandOptionType.Mentionable;
  value: string | number | boolean;
}

/**
 * A command option value. Plain values map to String, Integer (whole numbers), Number, Boolean;
 * an attachment object (e.g. from `FakeDiscord.attachment`) becomes an Attachment option with its
 * entry in `data.resolved.attachments`. discord.js checks option types on `getNumber` etc., so use
 * {@link TypedOptionValue} when the inferred type would differ from the command's definition.
 */
export type OptionValue = string | number | boolean | APIAttachment | TypedOptionValue;

/** What every command interaction builder takes. */
export interface CommandInput {
  applicationId: string;
  /** Command name as registered, e.g. `predict`. */
  name: string;
  commandId?: string;
  subcommandGroup?: string;
  subcommand?: string;
  options?: Record<string, OptionValue>;
  user?: UserInput;
  channelId?: string;
  /** The invoking user's client language. */
  locale?: `${Locale}`;
  appPermissions?: bigint | string;
  /** When Discord created the interaction (its id carries it); now by default. */
  createdAt?: number;
}

/** Context for an interaction inside a guild. */
export interface GuildContextInput {
  guildId: string;
  guildLocale?: `${Locale}`;
  /** The member's computed permissions in the channel. */
  permissions?: bigint | string;
  roles?: string[];
}

/** A slash command used in a guild. */
export type SlashCommandInput = CommandInput & GuildContextInput;

/** An autocomplete request; without `guildId` it comes from a DM with the bot. */
export type AutocompleteInput = CommandInput &
  Partial<GuildContextInput> & {
    /** Name of the option being typed. */
    focused: string;
  };

function isAttachment(value: OptionValue): value is APIAttachment {
  return typeof value === 'object' && 'filename' in value;
}

function inferOptionType(value: string | number | boolean): TypedOptionValue['type'] {
  if (typeof value === 'string') return ApplicationCommandOptionType.String;
  if (typeof value === 'boolean') return ApplicationCommandOptionType.Boolean;
  return Number.isInteger(value) ? ApplicationCommandOptionType.Integer : ApplicationCommandOptionType.Number;
}

function buildOptions(
  input: CommandInput,
  focused: string | undefined,
): { options: APIApplicationCommandInteractionDataOption[]; resolved: APIInteractionDataResolved | undefined } {
  const attachments: Record<string, APIAttachment> = {};
  const leaves = Object.entries(input.options ?? {}).map(([name, value]) => {
    const isFocused = name === focused ? { focused: true } : {};
    if (isAttachment(value)) {
      attachments[value.id] = value;
      return { name, type: ApplicationCommandOptionType.Attachment, value: value.id, ...isFocused };
    }
    const typed = typeof value === 'object' ? value : { type: inferOptionType(value), value };
    return { name, type: typed.type, value: typed.value, ...isFocused };
  });
  // Subcommands wrap the leaf options exactly as Discord nests them: group > subcommand > options.
  let options = leaves as APIApplicationCommandInteractionDataOption[];
  if (input.subcommand !== undefined) {
    options = [{ name: input.subcommand, type: ApplicationCommandOptionType.Subcommand, options: leaves }] as APIApplicationCommandInteractionDataOption[];
  }
  if (input.subcommandGroup !== undefined) {
    options = [{ name: input.subcommandGroup, type: ApplicationCommandOptionType.SubcommandGroup, options }] as APIApplicationCommandInteractionDataOption[];
  }
  const resolved = Object.keys(attachments).length > 0 ? { attachments } : undefined;
  return { options, resolved };
}

function permissionString(value: bigint | string | undefined, fallback: bigint): string {
  return (value ?? fallback).toString();
}

/** Fields shared by every interaction, in a guild or in a DM with the bot, depending on `guildId`. */
function interactionEnvelope(input: CommandInput & Partial<GuildContextInput>) {
  const user = apiUser(input.user);
  const id = snowflake(input.createdAt);
  const base = {
    id,
    application_id: input.applicationId,
    token: interactionToken(id),
    version: 1 as const,
    locale: (input.locale ?? Locale.EnglishUS) as Locale,
    entitlements: [],
    attachment_size_limit: DEFAULT_ATTACHMENT_SIZE_LIMIT,
  };
  const channelId = input.channelId ?? snowflake();
  if (input.guildId === undefined) {
    return {
      ...base,
      user,
      channel: { id: channelId, type: ChannelType.DM as const, last_message_id: null, flags: 0, recipients: [user] },
      channel_id: channelId,
      context: InteractionContextType.BotDM,
      // A guild-installed app used in its bot's DMs is reported with guild "0".
      authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: '0' },
      app_permissions: permissionString(input.appPermissions, BOT_DM_PERMISSIONS),
    };
  }
  const guildLocale = (input.guildLocale ?? Locale.EnglishUS) as Locale;
  const member: APIInteractionGuildMember = {
    user,
    roles: input.roles ?? [],
    permissions: permissionString(input.permissions, MEMBER_PERMISSIONS),
    joined_at: new Date(Date.now() - 86_400_000).toISOString(),
    nick: null,
    avatar: null,
    banner: null,
    premium_since: null,
    deaf: false,
    mute: false,
    pending: false,
    flags: 0 as GuildMemberFlags,
    communication_disabled_until: null,
  };
  return {
    ...base,
    guild_id: input.guildId,
    guild: { id: input.guildId, locale: guildLocale, features: [] },
    guild_locale: guildLocale,
    member,
    channel: {
      id: channelId,
      type: ChannelType.GuildText as const,
      guild_id: input.guildId,
      name: 'general',
      position: 0,
      parent_id: null,
      topic: null,
      nsfw: false,
      last_message_id: null,
      rate_limit_per_user: 0,
      permission_overwrites: [],
      flags: 0,
    },
    channel_id: channelId,
    context: InteractionContextType.Guild,
    authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: input.guildId },
    app_permissions: permissionString(input.appPermissions, BOT_GUILD_PERMISSIONS),
  };
}

/** Interaction tokens are opaque to bots; this keeps their URL-safe shape. */
function interactionToken(interactionId: string): string {
  return `aW50ZXJhY3Rpb246${Buffer.from(`${interactionId}:fake-interaction-token`).toString('base64url')}`;
}

function commandData(input: CommandInput, focused?: string) {
  const { options, resolved } = buildOptions(input, focused);
  return {
    id: input.commandId ?? snowflake(),
    name: input.name,
    type: ApplicationCommandType.ChatInput as const,
    // Discord leaves out `options` and `resolved` when there is nothing to send.
    ...(options.length > 0 ? { options } : {}),
    ...(resolved ? { resolved } : {}),
  };
}

/** A chat-input (slash) command used by a member in a guild text channel. */
export function slashCommand(input: SlashCommandInput): APIChatInputApplicationCommandInteraction {
  return {
    ...interactionEnvelope(input),
    type: InteractionType.ApplicationCommand,
    data: commandData(input),
  } as APIChatInputApplicationCommandInteraction;
}

/** A chat-input command used in a DM with the bot: `user` instead of `member`, no guild. */
export function dmSlashCommand(input: CommandInput): APIChatInputApplicationCommandInteraction {
  return {
    ...interactionEnvelope(input),
    type: InteractionType.ApplicationCommand,
    data: commandData(input),
  } as APIChatInputApplicationCommandInteraction;
}

/** An autocomplete request while the user types the `focused` option. */
export function autocomplete(input: AutocompleteInput): APIApplicationCommandAutocompleteInteraction {
  if (!(input.focused in (input.options ?? {}))) {
    throw new Error(`focused option "${input.focused}" must be one of the options`);
  }
  return {
    ...interactionEnvelope(input),
    type: InteractionType.ApplicationCommandAutocomplete,
    data: commandData(input, input.focused),
  } as APIApplicationCommandAutocompleteInteraction;
}
