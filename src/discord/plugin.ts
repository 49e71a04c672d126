/**
 * Mounts the bot's slash commands on a discord.js client: the standalone bot's own, or an
 * existing host bot's that already runs (and keeps its own commands).
 *
 * @module
 */
import { Events } from 'discord.js';
import type { AutocompleteInteraction, ChatInputCommandInteraction, Client, Interaction } from 'discord.js';
import type { Logger } from 'pino';
import type { BotServices } from '../app/services.ts';
import { createRegistry, runAutocomplete, runCommand, type DispatchObserver } from '../commands/dispatch.ts';
import { loadCommands } from '../commands/loader.ts';
import type { CommandPlugin, CooldownSettings } from '../commands/types.ts';
import type { Config } from '../config.ts';
import { autocompleteContext, commandContext } from './context.ts';

/** Options of {@link mountCommands}. */
export interface MountOptions {
  /** The plugins; loaded from `commands/` when omitted. */
  commands?: readonly CommandPlugin[];
  /**
   * Answer commands no plugin knows ("unknown command"). Only for a client that has no other
   * commands: on a host bot they belong to the host. Default false.
   */
  answerUnknownCommands?: boolean;
  /** Told how each interaction went (the metrics). */
  observer?: DispatchObserver;
}

/**
 * Routes chat-input and autocomplete interactions of this bot's commands to the plugins.
 *
 * When `DEV_GUILD_ID` is set the commands are deployed to that guild only, so a same-named
 * command used in any other guild is the host's and is left alone.
 *
 * @param config - the dev guild, and the limits of the commands' cooldowns.
 *
 * @returns a function that detaches the listener (commands already running finish).
 * @throws PluginLoadError when a plugin file is broken.
 */
export async function mountCommands(
  client: Client,
  services: BotServices,
  config: Pick<Config, 'devGuildId'> & CooldownSettings,
  logger: Logger,
  options: MountOptions = {},
): Promise<() => void> {
  const registry = createRegistry(options.commands ?? (await loadCommands()), {
    cooldowns: config,
    ...(options.observer === undefined ? {} : { observer: options.observer }),
  });
  const isOurs = (interaction: ChatInputCommandInteraction | AutocompleteInteraction): boolean => {
    if (!registry.commands.has(interaction.commandName) && options.answerUnknownCommands !== true) return false;
    return config.devGuildId === null || interaction.guildId === null || interaction.guildId === config.devGuildId;
  };
  const listener = (interaction: Interaction): void => {
    if (!(interaction.isChatInputCommand() || interaction.isAutocomplete()) || !isOurs(interaction)) return;
    const run = interaction.isAutocomplete()
      ? runAutocomplete(registry, autocompleteContext(interaction, services, logger), logger)
      : runCommand(registry, commandContext(interaction, services, logger), logger);
    run.catch((error: unknown) => logger.error({ err: error, interactionId: interaction.id }, 'interaction handling failed'));
  };
  client.on(Events.InteractionCreate, listener);
  logger.info({ commands: [...registry.commands.keys()] }, 'slash commands mounted');
  return () => {
    client.off(Events.InteractionCreate, listener);
  };
}
