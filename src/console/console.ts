/**
 * The local console: the bot's commands without Discord. On a terminal it is a REPL with a
 * prompt, history and tab completion (command names, then the command's own autocomplete); with
 * piped input it runs one command per line, in order, and ends with the input.
 *
 * @module
 */
import readline from 'node:readline';
import { ApplicationCommandOptionType, type APIApplicationCommandOption } from 'discord.js';
import type { Logger } from 'pino';
import type { BotServices } from '../app/services.ts';
import { createRegistry, runAutocomplete, runCommand } from '../commands/dispatch.ts';
import type { CommandRegistry, DispatchObserver } from '../commands/dispatch.ts';
import { loadCommands } from '../commands/loader.ts';
import type { CommandPlugin, CooldownSettings, UserRef } from '../commands/types.ts';
import { messagesFor } from '../i18n/index.ts';
import type { Messages } from '../i18n/index.ts';
import { ConsoleAutocompleteContext, ConsoleContext } from './context.ts';
import { parseLine } from './parse.ts';
import { TextRenderer } from './render.ts';

/** Options of {@link runConsole}. */
export interface ConsoleOptions {
  services: BotServices;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
  /** The guild everything typed here belongs to. */
  guildId: string;
  user: UserRef;
  /** Language of the replies (a Discord locale such as `zh-CN`); English by default. */
  locale?: string;
  /** Must not write to `output`, or log lines would mix with replies. */
  logger: Logger;
  /** The plugins; loaded from `commands/` when omitted. */
  commands?: readonly CommandPlugin[];
  /** The configured cooldown limits, as the Discord bot applies them. */
  cooldowns: CooldownSettings;
  /** Told how each command went (the metrics). */
  observer?: DispatchObserver;
}

const HISTORY_SIZE = 500;

/** `/help`: every command with its description and options, in the console's language. */
function helpText(registry: CommandRegistry, m: Messages, locale: string): string {
  const lines = [m.console.help];
  for (const plugin of registry.commands.values()) {
    const json = plugin.data.toJSON();
    const localized = (entry: { description: string; description_localizations?: Record<string, string | null> | null }): string =>
      entry.description_localizations?.[locale] ?? entry.description;
    lines.push(`  /${json.name}  ${localized(json)}`);
    const describeOptions = (options: readonly APIApplicationCommandOption[], indent: string): void => {
      for (const option of options) {
        if (option.type === ApplicationCommandOptionType.Subcommand) {
          lines.push(`${indent}${option.name}  ${localized(option)}`);
          describeOptions(option.options ?? [], `${indent}    `);
          continue;
        }
        const required = 'required' in option && option.required === true;
        lines.push(`${indent}${required ? option.name : `[${option.name}]`}  ${localized(option)}`);
      }
    };
    describeOptions(json.options ?? [], '      ');
  }
  lines.push(m.console.helpExit);
  return lines.join('\n');
}

/**
 * Runs the console until the input ends or `/exit`.
 *
 * @returns when every line has been answered, including long-running ones such as `/retrain`.
 */
export async function runConsole(options: ConsoleOptions): Promise<void> {
  const { services, input, output, guildId, user, logger } = options;
  const locale = options.locale ?? 'en';
  const m = messagesFor(locale);
  const registry = createRegistry(options.commands ?? (await loadCommands()), {
    cooldowns: options.cooldowns,
    ...(options.observer === undefined ? {} : { observer: options.observer }),
  });
  const renderer = new TextRenderer(m);
  const interactive = input.isTTY === true;
  const write = (text: string): void => {
    if (text !== '') output.write(`${text}\n`);
  };
  // Who types, where, in which language: the same for every line and completion.
  const typist = { guildId, user, locale, services, logger };

  /** Tab completion: command names, then the command's own autocomplete for the typed text. */
  const completer = async (line: string): Promise<[string[], string]> => {
    const command = /^\/(\S*)$/.exec(line);
    if (command !== null) {
      const names = [...registry.commands.keys(), 'help', 'exit'].filter((name) => name.startsWith(command[1] ?? ''));
      return [names.map((name) => `/${name} `), line];
    }
    const typed = /^\/(\S+)\s+(.*)$/.exec(line);
    const plugin = typed === null ? undefined : registry.commands.get(typed[1] ?? '');
    const focusedOption = plugin?.data.toJSON().options?.find((option) => 'autocomplete' in option && option.autocomplete === true);
    if (typed === null || plugin === undefined || focusedOption === undefined) return [[], line];
    const ctx = new ConsoleAutocompleteContext({
      ...typist,
      commandName: plugin.data.name,
      options: new Map(),
      focused: { name: focusedOption.name, value: typed[2] ?? '' },
    });
    await runAutocomplete(registry, ctx, logger);
    return [ctx.choices.map((choice) => String(choice.value)), typed[2] ?? ''];
  };

  // readline's asynchronous completer form takes a callback.
  const completeWithCallback = (line: string, callback: (error: Error | null, result: [string[], string]) => void): void => {
    completer(line).then(
      (result) => callback(null, result),
      (error: Error) => callback(error, [[], line]),
    );
  };
  const rl = readline.createInterface({
    input,
    output,
    terminal: interactive,
    historySize: HISTORY_SIZE,
    prompt: '> ',
    ...(interactive ? { completer: completeWithCallback } : {}),
  });
  // In raw mode Ctrl-C reaches readline, not the process: treat it as leaving, like Ctrl-D.
  rl.on('SIGINT', () => rl.close());
  if (interactive) {
    write(m.console.helpExit);
    rl.prompt();
  }
  try {
    for await (const line of rl) {
      // Echoed when piped, so a transcript shows which answer belongs to which line.
      if (!interactive && line.trim() !== '') write(`> ${line}`);
      const parsed = parseLine(line, registry, m);
      if (parsed.kind === 'exit') break;
      if (parsed.kind === 'help') write(helpText(registry, m, locale));
      if (parsed.kind === 'error') write(parsed.message);
      if (parsed.kind === 'command') {
        const ctx = new ConsoleContext({
          ...typist,
          commandName: parsed.name,
          subcommand: parsed.subcommand,
          options: parsed.options,
          print: (message) => write(renderer.render(message)),
        });
        await runCommand(registry, ctx, logger);
      }
      if (interactive) rl.prompt();
    }
  } finally {
    rl.close();
  }
}
