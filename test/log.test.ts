import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DiscordAPIError } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { createLogger, withoutUrlTokens } from '../src/log.ts';

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
});
