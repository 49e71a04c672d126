import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, DiscordAPIError, GatewayIntentBits } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { mountLanguageBot } from '../src/index.ts';
import { createLogger, withoutUrlTokens } from '../src/log.ts';
import { captureLogger } from './support/run-command.ts';

describe('the logger', () => {
  it('keeps interaction and webhook tokens out of logged errors', () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-bot-log-'));
    const file = path.join(directory, 'bot.log');
    const token = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5OmZha2UtdG9rZW4';
    const url = `https://discord.com/api/v10/webhooks/111222333/${token}/messages/@original`;
    const error = new DiscordAPIError({ code: 10015, message: 'Unknown Webhook' }, 10015, 404, 'PATCH', url, { body: { content: 'hi' } });
    const logger = createLogger({ level: 'info', destination: { file } });
    logger.error({ err: error }, 'interaction handling failed');
    logger.error({ err: new Error(`request to /interactions/987/${token}/callback failed`) }, 'reply failed');
    const written = fs.readFileSync(file, 'utf8');
    expect(written).not.toContain(token);
    const lines = written.trim().split('\n').map((line) => JSON.parse(line) as { err: { url?: string; message: string } });
    expect(lines[0]?.err.url).toBe('https://discord.com/api/v10/webhooks/111222333/[redacted]/messages/@original');
    expect(lines[1]?.err.message).toBe('request to /interactions/987/[redacted]/callback failed');
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('leaves other URLs alone', () => {
    expect(withoutUrlTokens('/applications/1/guilds/2/commands')).toBe('/applications/1/guilds/2/commands');
  });

  it("redacts tokens in what the bot logs through a host bot's own logger", async () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-bot-host-log-'));
    const host = captureLogger();
    const config = loadConfig({ DB_PATH: path.join(directory, 'bot.sqlite'), TF_BACKEND: 'cpu' });
    const client = new Client({ intents: [GatewayIntentBits.Guilds] });
    const mounted = await mountLanguageBot(client, { config, logger: host.logger });
    const token = 'aW50ZXJhY3Rpb246OTg3NjU0MzIxOmhvc3QtdG9rZW4';
    try {
      const url = `https://discord.com/api/v10/webhooks/111222333/${token}/messages/@original`;
      mounted.app.logger.error({ err: new DiscordAPIError({ code: 50027, message: 'Invalid Webhook Token' }, 50027, 401, 'PATCH', url, { body: {} }) }, 'edit failed');
      mounted.app.logger.warn({ token }, 'a secret field');
    } finally {
      await mounted.close();
      await client.destroy();
      fs.rmSync(directory, { recursive: true, force: true });
    }
    const lines = host.lines();
    expect(lines.some((line) => line.msg === 'slash commands mounted')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain(token);
    expect(lines.find((line) => line.msg === 'a secret field')?.token).toBe('[redacted]');
  });
});
