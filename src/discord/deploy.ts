/**
 * Registers the slash command definitions with Discord (`npm run deploy-commands`): for
 * `DEV_GUILD_ID` when set (updates show at once, for development), else globally.
 *
 * @module
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REST, Routes } from 'discord.js';
import type { RESTPutAPIApplicationCommandsResult } from 'discord.js';
import { loadCommands } from '../commands/loader.ts';
import type { CommandPlugin } from '../commands/types.ts';
import { loadEnvironment, requireDiscordCredentials } from '../config.ts';
import type { DiscordConfig } from '../config.ts';
import { errorMessage } from '../errors.ts';

/** What was registered. */
export interface DeployResult {
  scope: { guildId: string } | 'global';
  names: string[];
}

/**
 * Replaces the application's commands with exactly `commands` (a PUT: commands that no longer
 * have a plugin file disappear).
 */
export async function deployCommands(
  config: Pick<DiscordConfig, 'discordToken' | 'discordClientId' | 'devGuildId' | 'discordApiUrl'>,
  commands: readonly CommandPlugin[],
): Promise<DeployResult> {
  const rest = new REST({ api: config.discordApiUrl }).setToken(config.discordToken);
  const route =
    config.devGuildId === null
      ? Routes.applicationCommands(config.discordClientId)
      : Routes.applicationGuildCommands(config.discordClientId, config.devGuildId);
  const body = commands.map((command) => command.data.toJSON());
  const registered = (await rest.put(route, { body })) as RESTPutAPIApplicationCommandsResult;
  return {
    scope: config.devGuildId === null ? 'global' : { guildId: config.devGuildId },
    names: registered.map((command) => command.name),
  };
}

async function main(): Promise<void> {
  const config = requireDiscordCredentials(loadEnvironment());
  const result = await deployCommands(config, await loadCommands());
  const where = result.scope === 'global' ? 'globally (may take up to an hour to show)' : `for guild ${result.scope.guildId}`;
  process.stdout.write(`Registered ${result.names.length} commands ${where}: ${result.names.map((name) => `/${name}`).join(' ')}\n`);
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  main().catch((error: unknown) => {
    process.stderr.write(`${errorMessage(error)}\n`);
    process.exitCode = 1;
  });
}
