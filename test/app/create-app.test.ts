import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app/create-app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';

const folders: string[] = [];

afterEach(() => {
  for (const folder of folders.splice(0)) fs.rmSync(folder, { recursive: true, force: true });
});

describe('createApp', () => {
  it('logs a warning for a variable set under its deprecated name, and uses its value', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'create-app-'));
    folders.push(folder);
    const logFile = path.join(folder, 'bot.log');
    const logger = createLogger({ level: 'warn', destination: { file: logFile } });
    const config = loadConfig({ DB_PATH: path.join(folder, 'bot.sqlite'), RETRAIN_MIN_NEW_SENTENCES: '3', TF_BACKEND: 'cpu' });
    const app = await createApp(config, logger, { schedule: false });
    try {
      await app.services.teach({ guildId: 'g', channelId: null, authorId: 'a', text: 'the cat sat', source: 'console' });
      expect(await app.services.predict('g', 'the', 1)).toEqual({ status: 'no_model', sentences: 1, sentencesNeeded: 2 });
    } finally {
      await app.close();
    }
    logger.flush();
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ variable: 'RETRAIN_MIN_NEW_SENTENCES', msg: 'RETRAIN_MIN_NEW_SENTENCES: deprecated: rename it to RETRAIN_MIN_CHANGES' }),
    ]);
  });
});
