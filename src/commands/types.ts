/**
 * The plugin contract every file in `commands/` follows, and the context a command runs in.
 *
 * The same command code serves Discord and the local console: each builds a
 * {@link CommandContext} from its own input (an interaction, a typed line) and renders the
 * neutral {@link OutgoingMessage} in its own way.
 *
 * @module
 */
import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { Logger } from 'pino';
import type { BotServices } from '../app/services.ts';

/** A file attached to a reply. */
export interface OutgoingFile {
  name: string;
  data: Buffer;
}

/** One name/value line of an embed. */
export interface EmbedField {
  name: string;
  value: string;
  inline?: boolean;
}

/** A rich block; `image` names one of the message's {@link OutgoingFile}s. */
export interface Embed {
  title?: string;
  description?: string;
  fields?: EmbedField[];
  footer?: string;
  color?: number;
  image?: string;
}

/** A reply, edit or follow-up, independent of where it is shown. */
export interface OutgoingMessage {
  content?: string;
  embeds?: Embed[];
  files?: OutgoingFile[];
  /** Seen only by the member who ran the command (ignored by the console). */
  ephemeral?: boolean;
}

/** An autocomplete suggestion. Discord accepts at most 25, each name and value at most 100 chars. */
export interface Choice {
  name: string;
  value: string | number;
}

/** A Discord user as commands see it. */
export interface UserRef {
  id: string;
  /** Display name, never a mention. */
  name: string;
}

/** A file a member attached as an option. */
export interface AttachmentRef {
  name: string;
  url: string;
  size: number;
  contentType: string | null;
}

/** Typed access to the options the member gave. Each getter returns null when the option is absent. */
export interface CommandOptions {
  string(name: string): string | null;
  integer(name: string): number | null;
  number(name: string): number | null;
  boolean(name: string): boolean | null;
  user(name: string): UserRef | null;
  attachment(name: string): AttachmentRef | null;
  /** During autocomplete: the option being typed and its current text. */
  focused(): { name: string; value: string };
}

/** What the member may do, from the member's permissions in the guild. */
export interface PermissionCheck {
  /** Whether the member holds the permission (a `PermissionFlagsBits` value). */
  has(permission: bigint): boolean;
}

/** Everything a command may use: the input, the services, and the ways to answer. */
export interface CommandContext {
  readonly commandName: string;
  readonly options: CommandOptions;
  /** Null in direct messages; commands only ever run with a guild (the router answers DMs). */
  readonly guildId: string | null;
  readonly channelId: string | null;
  readonly user: UserRef;
  /** Null outside a guild. */
  readonly memberPermissions: PermissionCheck | null;
  /** The member's client locale, e.g. `en-US`, `zh-CN`, `zh-TW`. */
  readonly locale: string;
  readonly services: BotServices;
  /** Where the command was typed; recorded with taught sentences. */
  readonly source: 'discord' | 'console';
  /** The Discord interaction id (lets the store recognise a retried request); null in the console. */
  readonly interactionId: string | null;
  /** Logger bound to this request. */
  readonly logger: Logger;
  /** True once {@link defer} was called. */
  readonly deferred: boolean;
  /** True once {@link reply} was called. */
  readonly replied: boolean;
  reply(message: OutgoingMessage): Promise<void>;
  /** Acknowledges now and answers later with {@link edit}: Discord wants an answer within 3 s. */
  defer(options?: { ephemeral?: boolean }): Promise<void>;
  /** Replaces the deferred or sent reply. */
  edit(message: OutgoingMessage): Promise<void>;
  followUp(message: OutgoingMessage): Promise<void>;
  /** Answers an autocomplete request. */
  respond(choices: Choice[]): Promise<void>;
}

/** A command context whose guild is known (what `execute` receives). */
export type GuildCommandContext = CommandContext & { readonly guildId: string; readonly memberPermissions: PermissionCheck };

/**
 * The definition a plugin exports: a `SlashCommandBuilder` (options-only or with subcommands).
 * Its JSON is what gets deployed, and what the console reads to parse typed options.
 */
export interface CommandData {
  readonly name: string;
  readonly description: string;
  toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody;
}

/** What each `commands/<name>.ts` default-exports. */
export interface CommandPlugin {
  data: CommandData;
  execute(ctx: GuildCommandContext): Promise<void>;
  autocomplete?(ctx: GuildCommandContext): Promise<void>;
}
