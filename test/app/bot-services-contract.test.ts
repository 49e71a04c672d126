/**
 * The BotServices contract (test/support/bot-services-contract.ts) run against the real services on
 * a SQLite file and against the in-memory services the command tests use.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createApp } from '../../src/app/create-app.ts';
import { loadConfig } from '../../src/config.ts';
import { describeBotServicesContract } from '../support/bot-services-contract.ts';
import { FakeServices } from '../support/fake-services.ts';

describeBotServicesContract('the real services on a SQLite file', async ({ retrainMinChanges }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bot-services-contract-'));
  const config = loadConfig({ DB_PATH: path.join(dir, 'bot.sqlite'), TF_BACKEND: 'cpu', RETRAIN_MIN_CHANGES: String(retrainMinChanges) });
  const app = await createApp(config, pino({ level: 'silent' }), { schedule: false });
  return {
    services: app.services,
    async close() {
      await app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

describeBotServicesContract('the in-memory services of the command tests', async ({ retrainMinChanges }) => ({
  services: new FakeServices({ retrainMinChanges }),
  close: async () => undefined,
}));
