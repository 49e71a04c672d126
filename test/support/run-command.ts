/**
 * Runs commands the way the console does (a typed line, or options given directly) and records
 * every reply, edit and follow-up with the time it was made.
 */
import { Writable } from 'node:stream';
import { PermissionFlagsBits, PermissionsBitField } from 'discord.js';
import pino from 'pino';
import type { Logger } from 'pino';
import type { BotServices } from '../../src/app/services.ts';
import { createRegistry, runAutocomplete, runCommand } from '../../src/commands/dispatch.ts';
import type { CommandRegistry, RegistryOptions } from '../../src/commands/dispatch.ts';
import { loadCommands } from '../../src/commands/loader.ts';
import type { Choice, OutgoingMessage, PermissionCheck, UserRef } from '../../src/commands/types.ts';
import { ConsoleAutocompleteContext, ConsoleContext, type ConsoleInteractionInit } from '../../src/console/context.ts';
import { parseLine } from '../../src/console/parse.ts';
import type { OptionValue } from '../../src/console/parse.ts';
import { TextRenderer } from '../../src/console/render.ts';
import { messagesFor } from '../../src/i18n/index.ts';

export const GUILD = '111111111111111111';
export const ALICE: UserRef = { id: '222222222222222222', name: 'alice' };
export const BOB: UserRef = { id: '333333333333333333', name: 'bob' };
/** A member without Manage Server. */
export const MEMBER: PermissionCheck = new PermissionsBitField(PermissionFlagsBits.SendMessages | PermissionFlagsBits.UseApplicationCommands);

let registry: Promise<CommandRegistry> | null = null;

/** The project's commands, loaded once per test file, without cooldowns. */
export function commands(): Promise<CommandRegistry> {
  registry ??= loadCommands().then((plugins) => createRegistry(plugins));
  return registry;
}

/** The project's commands with their own cooldowns, configured and timed as given. */
export async function commandsWith(options: RegistryOptions): Promise<CommandRegistry> {
  return createRegistry(await loadCommands(), options);
}

/** One answer as recorded. */
export interface Recorded {
  kind: 'reply' | 'edit' | 'followUp' | 'channel';
  message: OutgoingMessage;
  /** As the console prints it. */
  text: string;
  /** `Date.now()` when it was made (fake timers apply). */
  at: number;
}

/** Who runs the command, where, and in which language. */
export interface RunOptions {
  services: BotServices;
  locale?: string;
  user?: UserRef;
  guildId?: string | null;
  permissions?: PermissionCheck;
  logger?: Logger;
  /** The commands and their cooldowns; {@link commands} by default. */
  registry?: CommandRegistry;
}

/** A command in progress. */
export interface Running {
  ctx: ConsoleContext;
  outputs: Recorded[];
  finished: Promise<void>;
}

/** A logger whose JSON lines are kept in memory. */
export function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return {
    logger: pino({ level: 'debug' }, stream),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

const silent = pino({ level: 'silent' });

/** Who runs the command, where and in which language, as a console context takes it. */
function interactionInit(commandName: string, values: ReadonlyMap<string, OptionValue>, options: RunOptions): ConsoleInteractionInit {
  return {
    commandName,
    options: values,
    guildId: options.guildId === undefined ? GUILD : options.guildId,
    user: options.user ?? ALICE,
    ...(options.permissions === undefined ? {} : { memberPermissions: options.permissions }),
    locale: options.locale ?? 'en',
    services: options.services,
    logger: options.logger ?? silent,
  };
}

function contextFor(name: string, values: ReadonlyMap<string, OptionValue>, options: RunOptions, outputs: Recorded[]): ConsoleContext {
  const renderer = new TextRenderer(messagesFor(options.locale ?? 'en'));
  const [commandName = '', subcommand = null] = name.split(' ');
  return new ConsoleContext({
    ...interactionInit(commandName, values, options),
    subcommand,
    print: (message, kind) => outputs.push({ kind, message, text: renderer.render(message), at: Date.now() }),
  });
}

/**
 * Starts a command given as options (bypassing the line parser, as Discord would); `name` may
 * name a subcommand after the command, as in `sentences export`.
 */
export async function start(name: string, values: Record<string, OptionValue>, options: RunOptions): Promise<Running> {
  const outputs: Recorded[] = [];
  const ctx = contextFor(name, new Map(Object.entries(values)), options, outputs);
  return { ctx, outputs, finished: runCommand(options.registry ?? (await commands()), ctx, options.logger ?? silent) };
}

/** Starts a command typed as a console line. */
export async function startLine(line: string, options: RunOptions): Promise<Running> {
  const parsed = parseLine(line, await commands(), messagesFor(options.locale ?? 'en'));
  if (parsed.kind !== 'command') throw new Error(`not a command line: ${line} (${JSON.stringify(parsed)})`);
  return start(parsed.subcommand === null ? parsed.name : `${parsed.name} ${parsed.subcommand}`, Object.fromEntries(parsed.options), options);
}

/** Runs a typed line to its end and returns what it answered. */
export async function runLine(line: string, options: RunOptions): Promise<Recorded[]> {
  const running = await startLine(line, options);
  await running.finished;
  return running.outputs;
}

/** Asks a command for autocomplete suggestions for `option` typed so far as `value`. */
export async function autocomplete(name: string, option: string, value: string, options: RunOptions): Promise<Choice[]> {
  const ctx = new ConsoleAutocompleteContext({ ...interactionInit(name, new Map(), options), focused: { name: option, value } });
  await runAutocomplete(options.registry ?? (await commands()), ctx, options.logger ?? silent);
  return ctx.choices;
}
