import fs from 'node:fs';
import { once } from 'node:events';
import { Client, Events, GatewayIntentBits, InteractionResponseType, MessageFlags, PermissionFlagsBits } from 'discord.js';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_COMMANDS_DIR, loadCommands } from '../../src/commands/loader.ts';
import type { CommandPlugin } from '../../src/commands/types.ts';
import { startBot } from '../../src/discord/bot.ts';
import type { RunningBot } from '../../src/discord/bot.ts';
import { createClient } from '../../src/discord/client.ts';
import { deployCommands } from '../../src/discord/deploy.ts';
import { mountCommands } from '../../src/discord/plugin.ts';
import { FakeDiscord } from '../support/fake-discord.ts';
import type { InteractionHandle, InteractionResponse } from '../support/fake-discord.ts';
import { MEMBER_PERMISSIONS, autocomplete, dmSlashCommand, slashCommand, snowflake } from '../support/interactions.ts';
import type { OptionValue } from '../support/interactions.ts';
import { FakeServices } from '../support/fake-services.ts';
import { captureLogger } from '../support/run-command.ts';
import { DEFAULT_COOLDOWNS } from '../../src/config.ts';

const GUILD = { id: snowflake(), name: 'Word Lab' };
const MODERATOR_PERMISSIONS = MEMBER_PERMISSIONS | PermissionFlagsBits.ManageGuild;
const silent = pino({ level: 'silent' });

let fake: FakeDiscord;
let services: FakeServices;
let plugins: CommandPlugin[];
let bots: RunningBot[] = [];
let clients: Client[] = [];

beforeEach(async () => {
  fake = new FakeDiscord({ guilds: [GUILD] });
  await fake.start();
  services = new FakeServices();
  plugins ??= await loadCommands();
});

afterEach(async () => {
  await Promise.all(bots.map((bot) => bot.stop()));
  await Promise.all(clients.map((client) => client.destroy()));
  bots = [];
  clients = [];
  await fake.stop();
});

function config(overrides: { devGuildId?: string | null } = {}) {
  return {
    discordToken: fake.token,
    discordClientId: fake.applicationId,
    devGuildId: overrides.devGuildId ?? null,
    discordApiUrl: fake.apiUrl,
    dbPath: ':memory:',
    logLevel: 'silent' as const,
    retrainIntervalMinutes: 10,
    retrainMinChanges: 5,
    trainingConcurrency: 1,
    retrainBudgetMinutes: 5,
    fullRetrainBudgetMinutes: 30,
    retrainMaxAttempts: 5,
    trainingWorkerMaxHeapMb: 2048,
    teachCooldownPerMinute: 10,
    cooldowns: DEFAULT_COOLDOWNS,
    forgetCooldownPerMinute: 5,
    fullRetrainMinIntervalHours: 6,
    modelVersionsKept: 5,
    modelCacheMb: 512,
    modelIdleMinutes: 60,
    servingWorkers: 1,
    trainInProcess: true,
    runLeaseSeconds: 600,
    shardCount: 'auto' as const,
    tfBackend: null,
    metricsPort: null,
    trainerMetricsPort: null,
    metricsHost: '127.0.0.1',
    backupDir: null,
    backupEveryHours: 24,
    backupKeep: 7,
    deprecations: [],
  };
}

async function bot(logger = silent): Promise<RunningBot> {
  const running = await startBot(config(), services, logger, { commands: plugins });
  bots.push(running);
  return running;
}

/** A slash command in the guild; `name` may name a subcommand after the command (`sentences list`). */
function command(
  name: string,
  options: Record<string, OptionValue> = {},
  extra: { locale?: 'en-US' | 'zh-CN' | 'zh-TW'; permissions?: bigint; userId?: string; createdAt?: number; channelId?: string } = {},
) {
  const [commandName = '', subcommand] = name.split(' ');
  return slashCommand({
    ...(extra.createdAt === undefined ? {} : { createdAt: extra.createdAt }),
    ...(extra.channelId === undefined ? {} : { channelId: extra.channelId }),
    applicationId: fake.applicationId,
    guildId: GUILD.id,
    name: commandName,
    ...(subcommand === undefined ? {} : { subcommand }),
    options,
    locale: extra.locale ?? 'en-US',
    permissions: extra.permissions ?? MEMBER_PERMISSIONS,
    ...(extra.userId === undefined ? {} : { user: { id: extra.userId } }),
  });
}

const callbackOf = (handle: InteractionHandle): Promise<InteractionResponse> => fake.waitFor(handle, (r) => r.kind === 'callback');

async function teachAll(sentences: string[]): Promise<void> {
  for (const sentence of sentences) {
    await services.teach({ guildId: GUILD.id, channelId: null, authorId: '444444444444444444', text: sentence, source: 'discord' });
  }
}

describe('Discord adapter with the real discord.js client', () => {
  it('replies privately to /teach with mentions disabled on the reply itself', async () => {
    await bot();
    const handle = fake.sendInteraction(command('teach', { sentence: '我喜欢猫 @everyone' }));
    const callback = await callbackOf(handle);
    expect(callback.body.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect(callback.body.data?.flags).toBe(MessageFlags.Ephemeral);
    expect(callback.body.data?.allowed_mentions).toEqual({ parse: [] });
    expect(callback.body.data?.content).toContain('`我 | 喜欢 | 猫`');
    const stored = [...services.sentences.values()][0];
    expect(stored).toMatchObject({ guildId: GUILD.id, text: '我喜欢猫' });
  });

  it('defers /predict and then edits the reply with the table', async () => {
    await bot();
    await teachAll(['我 喜欢 猫', '我 喜欢 狗', '你 喜欢 猫']);
    const handle = fake.sendInteraction(command('predict', { text: '我 喜欢' }, { locale: 'zh-CN' }));
    const callback = await callbackOf(handle);
    expect(callback.body.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    const edit = await fake.waitFor(handle, (r) => r.kind === 'edit');
    expect(edit.body.allowed_mentions).toEqual({ parse: [] });
    expect(edit.body.content).toMatch(/`我喜欢` 之后的下一个词/);
    expect(edit.body.content).toMatch(/猫\s+█+▍?\s+66\.7%/);
    expect(edit.atMs).toBeGreaterThanOrEqual(callback.atMs);
  });

  it('answers /predict autocomplete with at most 25 choices', async () => {
    await bot();
    await teachAll(Array.from({ length: 30 }, (_, index) => `hello friend${index}`));
    const handle = fake.sendInteraction(
      autocomplete({ applicationId: fake.applicationId, guildId: GUILD.id, name: 'predict', options: { text: 'hello' }, focused: 'text' }),
    );
    const callback = await callbackOf(handle);
    expect(callback.body.type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
    const choices = callback.body.data?.choices ?? [];
    expect(choices).toHaveLength(25);
    expect(choices.every((choice) => String(choice.value).startsWith('hello friend'))).toBe(true);
  });

  it('answers a command used in a direct message with the guild-only message', async () => {
    await bot();
    const handle = fake.sendInteraction(
      dmSlashCommand({ applicationId: fake.applicationId, name: 'teach', options: { sentence: 'hi' }, locale: 'zh-CN' }),
    );
    const callback = await callbackOf(handle);
    expect(callback.body.data?.content).toBe('这些命令只能在服务器中使用：每个服务器都训练自己的模型。');
    expect(callback.body.data?.flags).toBe(MessageFlags.Ephemeral);
    expect(services.sentences.size).toBe(0);
  });

  it('refuses /retrain for a member without Manage Server, whatever the command permissions say', async () => {
    await bot();
    const handle = fake.sendInteraction(command('retrain'));
    const callback = await callbackOf(handle);
    expect(callback.body.data?.content).toContain('Manage Server');
    expect(services.runs).toHaveLength(0);
  });

  it('follows /retrain to the end and attaches the loss chart to the final edit', async () => {
    await bot();
    const handle = fake.sendInteraction(command('retrain', {}, { permissions: MODERATOR_PERMISSIONS }));
    await callbackOf(handle);
    await vi.waitFor(() => expect(services.runs).toHaveLength(1));
    services.runs[0]?.report(1, 2, 5, 10);
    await fake.waitFor(handle, (r) => r.kind === 'edit');
    services.runs[0]?.finish({
      status: 'succeeded', runId: 1, modelVersion: 3, promoted: true, sentences: 10, vocabularySize: 20,
      finalLoss: 1.5, validationLoss: 1.7, validationAccuracy: 0.4, seconds: 12,
      history: [{ epoch: 1, trainLoss: 2.5 }, { epoch: 2, trainLoss: 1.5 }],
    });
    const final = await fake.waitFor(handle, (r) => r.kind === 'edit' && r.files.length > 0);
    expect(final.files[0]).toMatchObject({ name: 'loss.png', contentType: 'image/png' });
    expect(final.files[0]?.data.subarray(1, 4).toString()).toBe('PNG');
    expect(final.body.embeds?.[0]?.image?.url).toBe('attachment://loss.png');
    expect(final.body.content).toContain('Training finished');
    expect(final.body.allowed_mentions).toEqual({ parse: [] });
  });

  it('sends /sentences export privately as a text file of the member’s own sentences', async () => {
    await bot();
    const alice = '555555555555555555';
    await services.teach({ guildId: GUILD.id, channelId: null, authorId: alice, text: '我 喜欢 猫', source: 'discord' });
    await services.teach({ guildId: GUILD.id, channelId: null, authorId: '666666666666666666', text: 'not hers', source: 'discord' });
    const handle = fake.sendInteraction(command('sentences export', {}, { userId: alice, locale: 'zh-CN' }));
    const callback = await callbackOf(handle);
    expect(callback.body.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    expect(callback.body.data?.flags).toBe(MessageFlags.Ephemeral);
    const edit = await fake.waitFor(handle, (r) => r.kind === 'edit' && r.files.length > 0);
    expect(edit.body.content).toBe('你在本服务器教过的 1 个句子，每行一句。');
    expect(edit.body.allowed_mentions).toEqual({ parse: [] });
    expect(edit.files).toHaveLength(1);
    expect(edit.files[0]).toMatchObject({ name: `my-sentences-${GUILD.id}.txt` });
    expect(edit.files[0]?.data.toString('utf8')).toBe('我 喜欢 猫\n');
  });

  it('stops editing a /retrain before its token expires and posts the result in the channel, pinging nobody', async () => {
    await bot();
    // Created 13 min 57 s ago: the last edit is due in 3 s, and the token expires a minute later.
    const createdAt = Date.now() - (14 * 60_000 - 3_000);
    const channelId = fake.guilds[0]!.channelId;
    const handle = fake.sendInteraction(command('retrain', {}, { permissions: MODERATOR_PERMISSIONS, createdAt, channelId }));
    await callbackOf(handle);
    await vi.waitFor(() => expect(services.runs).toHaveLength(1));
    const run = services.runs[0]!;
    run.report(1, 5, 1, 10);
    const handOver = await fake.waitFor(handle, (r) => r.kind === 'edit' && (r.body.content ?? '').includes('in this channel'), 10_000);
    expect(handOver.body.content).toBe(
      'Retraining this server’s model…\nThis training takes longer than Discord lets me update this message: I will post its result in this channel when it ends (`/stats` shows it too).',
    );
    // Progress goes on; the message is not edited any more.
    for (let epoch = 2; epoch <= 4; epoch += 1) {
      run.report(epoch, 5, 1, 10);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    expect(handle.responses.at(-1)).toBe(handOver);
    run.finish({
      status: 'succeeded', runId: 1, modelVersion: 2, promoted: true, sentences: 10, vocabularySize: 20,
      finalLoss: 1.5, validationLoss: 1.7, validationAccuracy: 0.4, seconds: 900,
      history: [{ epoch: 1, trainLoss: 2.5 }, { epoch: 2, trainLoss: 1.5 }],
    });
    const posted = await fake.waitForChannelMessage((message) => message.channelId === channelId);
    expect(posted.body.content).toBe('**Training finished**');
    expect(posted.body.allowed_mentions).toEqual({ parse: [] });
    expect(posted.body.embeds?.[0]?.image?.url).toBe('attachment://loss.png');
    expect(posted.files[0]).toMatchObject({ name: 'loss.png', contentType: 'image/png' });
    expect(handle.responses.at(-1)).toBe(handOver);
    expect(fake.requests.filter((request) => request.status >= 400)).toEqual([]);
  });

  it('answers a failing command with a reference id and keeps serving', async () => {
    const { logger, lines } = captureLogger();
    await bot(logger);
    services.teach = () => Promise.reject(new Error('disk full'));
    const failing = fake.sendInteraction(command('teach', { sentence: 'anything' }));
    const answer = await callbackOf(failing);
    const reference = /reference `([0-9a-f]{8})`/.exec(answer.body.data?.content ?? '')?.[1];
    expect(reference).toBeDefined();
    expect(answer.body.data?.flags).toBe(MessageFlags.Ephemeral);
    expect(lines().some((line) => line.reference === reference && JSON.stringify(line.err).includes('disk full'))).toBe(true);
    const next = await callbackOf(fake.sendInteraction(command('sentences list')));
    expect(next.body.data?.content).toBe('No sentences yet.');
  });

  it('answers an unknown command on the standalone bot', async () => {
    await bot();
    const callback = await callbackOf(fake.sendInteraction(command('dance')));
    expect(callback.body.data?.content).toBe('Unknown command `/dance`.');
  });
});

describe('mountCommands on a host bot', () => {
  async function hostClient(): Promise<Client> {
    // A host bot configured without mention protection: the replies must carry it themselves.
    const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
    clients.push(client);
    const ready = once(client, Events.ClientReady);
    await client.login(fake.token);
    await ready;
    return client;
  }

  it('serves its commands beside the host’s own, and stops after detaching', async () => {
    const client = await hostClient();
    client.on(Events.InteractionCreate, (interaction) => {
      if (interaction.isChatInputCommand() && interaction.commandName === 'ping') void interaction.reply('pong');
    });
    const detach = await mountCommands(client, services, { devGuildId: null, teachCooldownPerMinute: 10, forgetCooldownPerMinute: 5, fullRetrainMinIntervalHours: 6, cooldowns: DEFAULT_COOLDOWNS }, silent, { commands: plugins });

    const ping = await callbackOf(fake.sendInteraction(command('ping')));
    expect(ping.body.data?.content).toBe('pong');
    expect(fake.requests.filter((request) => request.path.endsWith('/callback'))).toHaveLength(1);

    const taught = await callbackOf(fake.sendInteraction(command('teach', { sentence: 'hello <@&123456789012345678>' })));
    expect(taught.body.data?.allowed_mentions).toEqual({ parse: [] });

    detach();
    const ignored = fake.sendInteraction(command('teach', { sentence: 'after detach' }));
    await expect(fake.waitFor(ignored, () => true, 300)).rejects.toThrow(/no matching response/);
    expect(services.sentences.size).toBe(1);
  });

  it('leaves same-named commands of other guilds to the host when deployed to a dev guild', async () => {
    const client = await hostClient();
    const other = fake.joinGuild({ id: snowflake(), name: 'Elsewhere' });
    await mountCommands(client, services, { devGuildId: GUILD.id, teachCooldownPerMinute: 10, forgetCooldownPerMinute: 5, fullRetrainMinIntervalHours: 6, cooldowns: DEFAULT_COOLDOWNS }, silent, { commands: plugins });
    const elsewhere = fake.sendInteraction(
      slashCommand({ applicationId: fake.applicationId, guildId: other.id, name: 'stats', permissions: MEMBER_PERMISSIONS }),
    );
    await expect(fake.waitFor(elsewhere, () => true, 300)).rejects.toThrow(/no matching response/);
    const here = await callbackOf(fake.sendInteraction(command('stats')));
    expect(here.body.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
  });
});

describe('deployCommands', () => {
  const commandFiles = (): string[] => fs.readdirSync(DEFAULT_COMMANDS_DIR).map((file) => file.replace(/\.ts$/, '')).sort();

  it('registers exactly the command files for the dev guild', async () => {
    const result = await deployCommands(config({ devGuildId: GUILD.id }), plugins);
    expect(result.scope).toEqual({ guildId: GUILD.id });
    expect(result.names.sort()).toEqual(commandFiles());
    expect(fake.commands(GUILD.id).map((c) => c.name).sort()).toEqual(commandFiles());
    expect(fake.commands()).toHaveLength(0);
    const put = fake.requests.find((request) => request.method === 'PUT');
    expect(put?.headers.authorization).toBe(`Bot ${fake.token}`);
  });

  it('registers globally without a dev guild, with localised descriptions', async () => {
    await deployCommands(config(), plugins);
    const registered = fake.commands();
    expect(registered.map((c) => c.name).sort()).toEqual(commandFiles());
    expect(registered.find((c) => c.name === 'teach')?.description_localizations?.['zh-TW']).toContain('教機器人');
    expect(registered.find((c) => c.name === 'sentences')?.options?.map((option) => option.name)).toEqual(['list', 'export']);
  });
});

describe('createClient', () => {
  it('creates a client that talks to the configured API and never parses mentions', () => {
    const client = createClient({ discordApiUrl: fake.apiUrl });
    expect(client.options.allowedMentions).toEqual({ parse: [] });
    expect(client.options.rest?.api).toBe(fake.apiUrl);
    expect(client.options.intents.toArray()).toEqual(['Guilds']);
  });
});
