/**
 * The limits of the expensive commands, through the real discord.js client against the loopback
 * fake Discord, on the real application (SQLite file, serving threads): per member, per server,
 * refused privately in the member's language, and autocomplete answered with nothing beyond a
 * member's rate.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InteractionResponseType, MessageFlags } from 'discord.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/create-app.ts';
import { loadConfig, requireDiscordCredentials } from '../../src/config.ts';
import { startBot, type RunningBot } from '../../src/discord/bot.ts';
import { packModel } from '../../src/lm/model-package.ts';
import { trainFixture } from '../explain/fixture.ts';
import { FakeDiscord, type InteractionHandle, type InteractionResponse } from '../support/fake-discord.ts';
import { MEMBER_PERMISSIONS, autocomplete, slashCommand, snowflake } from '../support/interactions.ts';
import type { OptionValue } from '../support/interactions.ts';

const GUILD = { id: snowflake(), name: 'Cat Club' };
const OTHER_GUILD = { id: snowflake(), name: 'Dog Club' };

let dir: string;
let fake: FakeDiscord;
let app: App;
let bot: RunningBot;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cooldowns-'));
  fake = new FakeDiscord({ guilds: [GUILD, OTHER_GUILD] });
  await fake.start();
  const config = requireDiscordCredentials(
    loadConfig({
      DISCORD_TOKEN: fake.token,
      DISCORD_CLIENT_ID: fake.applicationId,
      DISCORD_API_URL: fake.apiUrl,
      DB_PATH: path.join(dir, 'bot.sqlite'),
      TF_BACKEND: 'wasm',
      EXPLAIN_COOLDOWN_PER_MINUTE: '1',
      EXPLAIN_SERVER_COOLDOWN_PER_MINUTE: '2',
      GENERATE_COOLDOWN_PER_MINUTE: '2',
      AUTOCOMPLETE_COOLDOWN_PER_MINUTE: '3',
    }),
  );
  app = await createApp(config, pino({ level: 'silent' }), { schedule: false });
  const { model, vocabulary } = await trainFixture();
  const packed = await packModel(model, vocabulary);
  model.dispose();
  for (const guild of [GUILD, OTHER_GUILD]) {
    app.store.saveModel({ guildId: guild.id, ...packed, metrics: {}, corpusSentences: 0, corpusRevision: 0 }, { promote: true });
  }
  bot = await startBot(config, app.services, pino({ level: 'silent' }));
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await app?.close();
  await fake?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function send(name: string, options: Record<string, OptionValue>, member: { userId: string; locale?: 'en-US' | 'zh-CN' | 'zh-TW'; guildId?: string }): InteractionHandle {
  return fake.sendInteraction(
    slashCommand({
      applicationId: fake.applicationId,
      guildId: member.guildId ?? GUILD.id,
      name,
      options,
      locale: member.locale ?? 'en-US',
      permissions: MEMBER_PERMISSIONS,
      user: { id: member.userId },
    }),
  );
}

const callbackOf = (handle: InteractionHandle): Promise<InteractionResponse> => fake.waitFor(handle, (response) => response.kind === 'callback');
const editOf = (handle: InteractionHandle): Promise<InteractionResponse> => fake.waitFor(handle, (response) => response.kind === 'edit', 60_000);

/** Expects a private refusal, at once (no deferral), with the given text. */
async function expectRefused(handle: InteractionHandle, text: RegExp): Promise<void> {
  const callback = await callbackOf(handle);
  expect(callback.body.type).toBe(InteractionResponseType.ChannelMessageWithSource);
  expect(callback.body.data?.flags).toBe(MessageFlags.Ephemeral);
  expect(callback.body.data?.content).toMatch(text);
}

describe('limits on the expensive commands', () => {
  it('refuses a member past their /explain limit, and a server past its own, privately and in their language', async () => {
    const member = { userId: snowflake(), locale: 'zh-CN' } as const;
    const first = send('explain', { text: 'the cat we met' }, member);
    expect((await callbackOf(first)).body.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    expect((await editOf(first)).body.content).toContain('v1');

    await expectRefused(send('explain', { text: 'the dog' }, member), /^你使用这个命令太频繁了，请等 \d+ 秒后再试。$/);
    // The refused use took nothing from the server: a second member still gets the server's second use.
    const second = send('explain', { text: 'the dog' }, { userId: snowflake(), locale: 'zh-TW' });
    expect((await callbackOf(second)).body.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    await editOf(second);
    await expectRefused(send('explain', {}, { userId: snowflake(), locale: 'zh-TW' }), /^這個伺服器現在使用這個指令太頻繁了，請等 \d+ 秒後再試。$/);
    await expectRefused(send('explain', {}, { userId: snowflake() }), /^This server is using this command very often right now\. Please wait \d+ seconds? and try again\.$/);
    // Another server's members are not held back by this one.
    const elsewhere = send('explain', { text: 'the cat' }, { userId: snowflake(), guildId: OTHER_GUILD.id });
    expect((await callbackOf(elsewhere)).body.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    await editOf(elsewhere);
  });

  it('limits /generate per member, in English too', async () => {
    const member = { userId: snowflake() };
    for (let use = 0; use < 2; use += 1) {
      const handle = send('generate', { start: 'the cat', length: 50 }, member);
      expect((await editOf(handle)).body.content).toMatch(/^Generated: /);
    }
    await expectRefused(send('generate', { start: 'the cat', length: 50 }, member), /^You are using this command very often\. Please wait \d+ seconds? and try again\.$/);
  });

  it('answers autocomplete with no suggestion beyond a member’s rate, and other members as before', async () => {
    const typing = (userId: string) =>
      fake.sendInteraction(
        autocomplete({
          applicationId: fake.applicationId,
          guildId: GUILD.id,
          name: 'predict',
          options: { text: 'the' },
          focused: 'text',
          permissions: MEMBER_PERMISSIONS,
          user: { id: userId },
        }),
      );
    const choicesOf = async (handle: InteractionHandle) => (await callbackOf(handle)).body.data?.choices ?? [];
    // The prediction thread has the server's model in memory, as on a bot that has run a while: a
    // keystroke's 2-second budget is for predicting, not for a first load on a busy machine.
    await editOf(send('predict', { text: 'the' }, { userId: snowflake() }));
    const member = snowflake();
    for (let keystroke = 0; keystroke < 3; keystroke += 1) expect((await choicesOf(typing(member))).length).toBeGreaterThan(0);
    expect(await choicesOf(typing(member))).toEqual([]);
    expect((await choicesOf(typing(snowflake()))).length).toBeGreaterThan(0);
  });
});
