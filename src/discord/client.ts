/**
 * The discord.js client of the standalone bot.
 *
 * @module
 */
import { Client, GatewayIntentBits } from 'discord.js';
import type { Config } from '../config.ts';
import { NO_MENTIONS } from './context.ts';

/**
 * Creates the client: only the Guilds intent (slash commands need no message content), mentions
 * never parsed, and REST against `DISCORD_API_URL` (Discord itself, or a proxy).
 */
export function createClient(config: Pick<Config, 'discordApiUrl'>): Client {
  return new Client({
    intents: [GatewayIntentBits.Guilds],
    allowedMentions: NO_MENTIONS,
    rest: { api: config.discordApiUrl },
  });
}
