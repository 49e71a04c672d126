/**
 * The standalone bot: its own client with the commands mounted.
 *
 * @module
 */
import { once } from 'node:events';
import { Events, RESTEvents } from 'discord.js';
import type { Client } from 'discord.js';
import type { Logger } from 'pino';
import type { BotServices } from '../app/services.ts';
import type { DiscordConfig } from '../config.ts';
import { createClient } from './client.ts';
import { mountCommands, type MountOptions } from './plugin.ts';

/** A running bot. */
export interface RunningBot {
  client: Client;
  /** Detaches the commands and disconnects. */
  stop(): Promise<void>;
}

/** Options of {@link startBot}: the plugins (loaded from `commands/` when omitted) and an observer. */
export type StartBotOptions = Pick<MountOptions, 'commands' | 'observer'>;

/** Logs in and serves the commands until stopped; it answers unknown commands itself. */
export async function startBot(config: DiscordConfig, services: BotServices, logger: Logger, options: StartBotOptions = {}): Promise<RunningBot> {
  const client = createClient(config);
  client.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));
  client.on(Events.Warn, (message) => logger.warn({ message }, 'discord client warning'));
  client.on(Events.ShardDisconnect, (event, shardId) => logger.warn({ code: event.code, shardId }, 'gateway disconnected'));
  client.on(Events.ShardResume, (shardId, replayed) => logger.info({ shardId, replayed }, 'gateway resumed'));
  // discord.js retries these itself (a 5xx up to 3 times, a 429 after the wait Discord asks for)
  // without a trace: the log says why an answer came late or not at all. Routes name no tokens.
  client.rest.on(RESTEvents.Response, (request, response) => {
    if (response.status !== 429 && response.status < 500) return;
    const retryAfter = response.headers.get('retry-after');
    logger.warn(
      {
        method: request.method,
        route: request.route,
        status: response.status,
        attempt: request.retries + 1,
        ...(retryAfter === null ? {} : { retryAfter: Number(retryAfter) * 1000 }),
      },
      response.status === 429 ? 'rate limited by Discord' : 'Discord answered with a server error',
    );
  });
  const detach = await mountCommands(client, services, config, logger, { ...options, answerUnknownCommands: true });
  // The ready event can fire before login() resolves: listen first.
  const ready = once(client, Events.ClientReady);
  try {
    await client.login(config.discordToken);
    await ready;
  } catch (error) {
    detach();
    await client.destroy();
    throw error;
  }
  logger.info({ user: client.user?.tag, guilds: client.guilds.cache.size }, 'logged in to Discord');
  return {
    client,
    async stop() {
      detach();
      await client.destroy();
    },
  };
}
