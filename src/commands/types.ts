/**
 * The plugin contract every file in `commands/` follows (a definition, `execute`, an optional
 * `autocomplete` and the {@link Preconditions} the dispatcher enforces), and the contexts a
 * command runs in.
 *
 * The same command code serves Discord and the local console: each builds a
 * {@link CommandContext} (a command run) or an {@link AutocompleteContext} (suggestions while a
 * member types) from its own input, and renders the neutral {@link OutgoingMessage} in its own
 * way. The two contexts are distinct types, so answering an autocomplete request with `reply`, or
 * a command with `respond`, does not compile.
 *
 * @module
 */
import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { Logger } from 'pino';
import type { BotServices } from '../app/services.ts';
import type { Config } from '../config.ts';
import type { Messages } from '../i18n/index.ts';

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

/** An autocomplete suggestion (Discord's limits: `DISCORD_LIMITS.choices`, `choiceText`). */
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

/** Typed option values, sent when a command runs and while it autocompletes; null when absent. */
export interface OptionValues {
  string(name: string): string | null;
  integer(name: string): number | null;
  number(name: string): number | null;
  boolean(name: string): boolean | null;
}

/** The options of a command being run: resolved members too, and the subcommand chosen. */
export interface CommandOptions extends OptionValues {
  user(name: string): UserRef | null;
  /** The subcommand run (`export` of `/sentences export`); null for a command without subcommands. */
  subcommand(): string | null;
}

/** The option being typed when autocomplete is asked for, and its text so far. */
export interface FocusedOption {
  name: string;
  value: string;
}

/** The options of an autocomplete request: what is typed so far, and which option is focused. */
export interface AutocompleteOptions extends OptionValues {
  focused(): FocusedOption;
}

/** What the member may do, from the member's permissions in the guild. */
export interface PermissionCheck {
  /** Whether the member holds the permission (a `PermissionFlagsBits` value). */
  has(permission: bigint): boolean;
}

/** What every interaction carries, whether it runs a command or asks for suggestions. */
export interface InteractionContext {
  readonly commandName: string;
  /** Null in direct messages; commands only ever see a guild (the dispatcher answers DMs). */
  readonly guildId: string | null;
  readonly channelId: string | null;
  readonly user: UserRef;
  /** Null outside a guild. */
  readonly memberPermissions: PermissionCheck | null;
  /** The member's client locale, e.g. `en-US`, `zh-CN`, `zh-TW`. */
  readonly locale: string;
  readonly services: BotServices;
  /** Logger bound to this request. */
  readonly logger: Logger;
}

/** The context of a command being run: its options and the ways to answer it. */
export interface CommandContext extends InteractionContext {
  readonly options: CommandOptions;
  /** Where the command was typed; recorded with taught sentences. */
  readonly source: 'discord' | 'console';
  /** The Discord interaction id (lets the store recognise a retried request); null in the console. */
  readonly interactionId: string | null;
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
  /**
   * When the reply stops accepting edits and follow-ups (ms since the epoch): a Discord
   * interaction's token lasts 15 minutes from its creation. Null where it never expires (the
   * console).
   */
  readonly repliesExpireAt: number | null;
  /**
   * Posts a message in the channel the command was used in, seen by everyone there and pinging
   * nobody: for an answer that comes after {@link repliesExpireAt}.
   */
  sendToChannel(message: OutgoingMessage): Promise<void>;
}

/** The context of an autocomplete request: answered once, with suggestions only. */
export interface AutocompleteContext extends InteractionContext {
  readonly options: AutocompleteOptions;
  /** True once {@link respond} was called. */
  readonly responded: boolean;
  respond(choices: readonly Choice[]): Promise<void>;
}

/** A context whose guild is known: what plugins get once the dispatcher has answered DMs. */
export type InGuild<Context extends InteractionContext> = Context & {
  readonly guildId: string;
  readonly memberPermissions: PermissionCheck;
};

/** What `execute` receives. */
export type GuildCommandContext = InGuild<CommandContext>;

/** What `autocomplete` receives. */
export type GuildAutocompleteContext = InGuild<AutocompleteContext>;

/**
 * The definition a plugin exports: a `SlashCommandBuilder` (options-only or with subcommands).
 * Its JSON is what gets deployed, and what the console reads to parse typed options.
 */
export interface CommandData {
  readonly name: string;
  readonly description: string;
  toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody;
}

/** The configuration that cooldown rules read their limits from. */
export type CooldownSettings = Pick<Config, 'teachCooldownPerMinute' | 'forgetCooldownPerMinute' | 'fullRetrainMinIntervalHours' | 'cooldowns'>;

/**
 * A limit on uses: at most `limit` in any `windowMs`, counted per member in a server, or per
 * server. A limit object shared by several commands counts their uses together.
 */
export interface UseLimit {
  /** Whose uses count together: one member's in one server, or a whole server's. */
  per: 'member' | 'server';
  /** Uses allowed per window, from the configuration. */
  limit(settings: CooldownSettings): number;
  /** The window's length: fixed, or from the configuration. */
  windowMs: number | ((settings: CooldownSettings) => number);
}

/**
 * A permission the member must hold to run the command: for every run, or only for the runs
 * {@link appliesTo} picks from the options. Checked by the dispatcher on every run, because a
 * command's default permission is only a default that server admins can grant to anyone.
 */
export interface PermissionRule {
  /** A `PermissionFlagsBits` value. */
  permission: bigint;
  /** Which runs need the permission; every run when absent. */
  appliesTo?(options: CommandOptions, user: UserRef): boolean;
  /** What a member without it is told. */
  refusal(messages: Messages): string;
}

/**
 * A rate limit on running the command ({@link UseLimit}). Only the runs {@link appliesTo} picks
 * count; a run that answers `{ counted: false }` gives its use back.
 */
export interface CooldownRule extends UseLimit {
  /** Which runs count, decided from the options; every run when absent. */
  appliesTo?(options: CommandOptions, user: UserRef): boolean;
  /** What a member over the limit is told, with the whole seconds until a run is allowed again. */
  refusal(messages: Messages, retryAfterSeconds: number): string;
}

/**
 * What the dispatcher checks, in this order, before `execute` runs; a failed check answers the
 * member privately and the command does not run. Every command is guild-only besides: it is
 * declared with `guildCommand()` (Discord offers it in servers only) and the dispatcher answers any
 * use outside a server itself, so plugins always get a context whose guild is known. Autocomplete
 * only suggests: what a member may do is checked when the command runs, and only its own limits
 * apply to it.
 */
export interface Preconditions {
  permissions?: readonly PermissionRule[];
  cooldowns?: readonly CooldownRule[];
  /**
   * Limits on autocomplete requests (one per keystroke): a request beyond them is answered with no
   * suggestion at once, without computing any.
   */
  autocompleteLimits?: readonly UseLimit[];
}

/** What `execute` may tell the dispatcher: a run that changed nothing counts to no cooldown. */
export type RunOutcome = void | { counted: false };

/** What each `commands/<name>.ts` default-exports. */
export interface CommandPlugin {
  data: CommandData;
  preconditions?: Preconditions;
  execute(ctx: GuildCommandContext): Promise<RunOutcome>;
  autocomplete?(ctx: GuildAutocompleteContext): Promise<void>;
}
