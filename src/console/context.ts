/**
 * The command context of the local console: options come from a parsed line, replies are
 * rendered as text and written out as they happen (deferred replies, progress edits and all).
 *
 * @module
 */
import { PermissionsBitField } from 'discord.js';
import type { Logger } from 'pino';
import type { BotServices } from '../app/services.ts';
import type {
  AttachmentRef,
  Choice,
  CommandContext,
  CommandOptions,
  OutgoingMessage,
  PermissionCheck,
  UserRef,
} from '../commands/types.ts';
import type { OptionValue } from './parse.ts';

/** What a console context is made of. */
export interface ConsoleContextInit {
  commandName: string;
  options: ReadonlyMap<string, OptionValue>;
  /** The option being completed, for autocomplete. */
  focused?: { name: string; value: string };
  /** Null acts as a direct message (the router then refuses, as on Discord). */
  guildId: string | null;
  user: UserRef;
  /** Moderator (every permission) by default: the console user runs the local guild. */
  memberPermissions?: PermissionCheck;
  locale: string;
  services: BotServices;
  logger: Logger;
  /** Receives each reply, edit and follow-up in order. */
  print(message: OutgoingMessage, kind: 'reply' | 'edit' | 'followUp'): void;
}

/** The console user acts as a moderator of the local guild. */
const MODERATOR: PermissionCheck = new PermissionsBitField(PermissionsBitField.All);

function optionsFrom(values: ReadonlyMap<string, OptionValue>, focused: { name: string; value: string } | undefined): CommandOptions {
  const typed = <T>(name: string, accept: (value: OptionValue) => value is OptionValue & T): T | null => {
    const value = values.get(name);
    return value !== undefined && accept(value) ? value : null;
  };
  const isObject = (value: OptionValue): value is UserRef | AttachmentRef => typeof value === 'object';
  return {
    string: (name) => typed(name, (value): value is string => typeof value === 'string'),
    integer: (name) => typed(name, (value): value is number => typeof value === 'number' && Number.isInteger(value)),
    number: (name) => typed(name, (value): value is number => typeof value === 'number'),
    boolean: (name) => typed(name, (value): value is boolean => typeof value === 'boolean'),
    user: (name) => typed(name, (value): value is UserRef => isObject(value) && !('url' in value)),
    attachment: (name) => typed(name, (value): value is AttachmentRef => isObject(value) && 'url' in value),
    focused: () => {
      if (focused === undefined) throw new Error('focused() is only available during autocomplete');
      return focused;
    },
  };
}

/** A {@link CommandContext} for one console line (or one completion request). */
export class ConsoleContext implements CommandContext {
  readonly commandName: string;
  readonly options: CommandOptions;
  readonly guildId: string | null;
  readonly channelId = null;
  readonly user: UserRef;
  readonly memberPermissions: PermissionCheck | null;
  readonly locale: string;
  readonly services: BotServices;
  readonly source = 'console';
  readonly interactionId = null;
  readonly logger: Logger;
  deferred = false;
  replied = false;
  /** The suggestions given by {@link respond}. */
  choices: Choice[] = [];
  private readonly print: ConsoleContextInit['print'];

  constructor(init: ConsoleContextInit) {
    this.commandName = init.commandName;
    this.options = optionsFrom(init.options, init.focused);
    this.guildId = init.guildId;
    this.user = init.user;
    this.memberPermissions = init.guildId === null ? null : (init.memberPermissions ?? MODERATOR);
    this.locale = init.locale;
    this.services = init.services;
    this.logger = init.logger;
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

  async respond(choices: Choice[]): Promise<void> {
    this.replied = true;
    this.choices = choices;
  }
}
