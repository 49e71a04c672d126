/**
 * The contexts of the local console: options come from a parsed line, replies are rendered as
 * text and written out as they happen (deferred replies, progress edits and all), and suggestions
 * are kept for tab completion.
 *
 * @module
 */
import { PermissionsBitField } from 'discord.js';
import type { Logger } from 'pino';
import type { BotServices } from '../app/services.ts';
import type {
  AutocompleteContext,
  AutocompleteOptions,
  Choice,
  CommandContext,
  CommandOptions,
  FocusedOption,
  InteractionContext,
  OptionValues,
  OutgoingMessage,
  PermissionCheck,
  UserRef,
} from '../commands/types.ts';
import type { OptionValue } from './parse.ts';

/** What both kinds of console context are made of. */
export interface ConsoleInteractionInit {
  commandName: string;
  options: ReadonlyMap<string, OptionValue>;
  /** Null acts as a direct message (the dispatcher then refuses, as on Discord). */
  guildId: string | null;
  user: UserRef;
  /** Moderator (every permission) by default: the console user runs the local guild. */
  memberPermissions?: PermissionCheck;
  locale: string;
  services: BotServices;
  logger: Logger;
}

/** What a {@link ConsoleContext} is made of. */
export interface ConsoleContextInit extends ConsoleInteractionInit {
  /** The subcommand typed, for a command that has subcommands. */
  subcommand?: string | null;
  /** Receives each reply, edit, follow-up and channel message in order. */
  print(message: OutgoingMessage, kind: 'reply' | 'edit' | 'followUp' | 'channel'): void;
}

/** What a {@link ConsoleAutocompleteContext} is made of. */
export interface ConsoleAutocompleteInit extends ConsoleInteractionInit {
  /** The option being completed. */
  focused: FocusedOption;
}

/** The console user acts as a moderator of the local guild. */
const MODERATOR: PermissionCheck = new PermissionsBitField(PermissionsBitField.All);

function valuesFrom(values: ReadonlyMap<string, OptionValue>): OptionValues & Pick<CommandOptions, 'user'> {
  const typed = <T>(name: string, accept: (value: OptionValue) => value is OptionValue & T): T | null => {
    const value = values.get(name);
    return value !== undefined && accept(value) ? value : null;
  };
  return {
    string: (name) => typed(name, (value): value is string => typeof value === 'string'),
    integer: (name) => typed(name, (value): value is number => typeof value === 'number' && Number.isInteger(value)),
    number: (name) => typed(name, (value): value is number => typeof value === 'number'),
    boolean: (name) => typed(name, (value): value is boolean => typeof value === 'boolean'),
    user: (name) => typed(name, (value): value is UserRef => typeof value === 'object'),
  };
}

/** Who typed, where, and with which services: what both console contexts share. */
abstract class ConsoleInteraction implements InteractionContext {
  readonly commandName: string;
  readonly guildId: string | null;
  readonly channelId = null;
  readonly user: UserRef;
  readonly memberPermissions: PermissionCheck | null;
  readonly locale: string;
  readonly services: BotServices;
  readonly logger: Logger;

  constructor(init: ConsoleInteractionInit) {
    this.commandName = init.commandName;
    this.guildId = init.guildId;
    this.user = init.user;
    this.memberPermissions = init.guildId === null ? null : (init.memberPermissions ?? MODERATOR);
    this.locale = init.locale;
    this.services = init.services;
    this.logger = init.logger;
  }
}

/** A {@link CommandContext} for one console line. */
export class ConsoleContext extends ConsoleInteraction implements CommandContext {
  readonly options: CommandOptions;
  readonly source = 'console';
  readonly interactionId = null;
  deferred = false;
  replied = false;
  private readonly print: ConsoleContextInit['print'];

  constructor(init: ConsoleContextInit) {
    super(init);
    const subcommand = init.subcommand ?? null;
    this.options = { ...valuesFrom(init.options), subcommand: () => subcommand };
    this.print = init.print;
  }

  async reply(message: OutgoingMessage): Promise<void> {
    this.replied = true;
    this.print(message, 'reply');
  }

  async defer(): Promise<void> {
    this.deferred = true;
  }

  async edit(message: OutgoingMessage): Promise<void> {
    this.print(message, 'edit');
  }

  async followUp(message: OutgoingMessage): Promise<void> {
    this.print(message, 'followUp');
  }

  /** The console's replies never expire. */
  readonly repliesExpireAt = null;

  /** The console has no channel: the message is printed like any other. */
  async sendToChannel(message: OutgoingMessage): Promise<void> {
    this.print(message, 'channel');
  }
}

/** An {@link AutocompleteContext} for one completion request (the Tab key). */
export class ConsoleAutocompleteContext extends ConsoleInteraction implements AutocompleteContext {
  readonly options: AutocompleteOptions;
  responded = false;
  /** The suggestions given by {@link respond}. */
  choices: Choice[] = [];

  constructor(init: ConsoleAutocompleteInit) {
    super(init);
    const { string, integer, number, boolean } = valuesFrom(init.options);
    this.options = { string, integer, number, boolean, focused: () => init.focused };
  }

  async respond(choices: readonly Choice[]): Promise<void> {
    this.responded = true;
    this.choices = [...choices];
  }
}
