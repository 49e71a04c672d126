import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AttachmentBuilder,
  ChannelType,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  HTTPError,
  InteractionContextType,
  InteractionResponseType,
  MessageFlags,
  Partials,
  PermissionFlagsBits,
  Routes,
  type ClientOptions,
  type Interaction,
} from 'discord.js';
import { FakeDiscord } from './fake-discord.ts';
import { MEMBER_PERMISSIONS, autocomplete, dmSlashCommand, slashCommand, snowflake } from './interactions.ts';

// A 1x1 PNG: enough for discord.js to sniff image/png from the bytes.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

const HOME_GUILD = { id: snowflake(), name: '词语实验室', preferredLocale: 'zh-CN' as const };
const OTHER_GUILD = { id: snowflake(), name: 'Second Server' };

let fake: FakeDiscord;
let clients: Client[] = [];

beforeEach(async () => {
  fake = new FakeDiscord({ guilds: [HOME_GUILD, OTHER_GUILD] });
  await fake.start();
});

afterEach(async () => {
  await Promise.all(clients.map((client) => client.destroy()));
  clients = [];
  await fake.stop();
});

function newClient(options: Partial<ClientOptions> = {}, server: FakeDiscord = fake): Client {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: { api: server.apiUrl },
    waitGuildTimeout: 0,
    ...options,
  });
  clients.push(client);
  return client;
}

async function login(options: Partial<ClientOptions> = {}, server: FakeDiscord = fake): Promise<Client> {
  const client = newClient(options, server);
  const ready = once(client, Events.ClientReady);
  await client.login(server.token);
  await ready;
  return client;
}

function nextInteraction(client: Client, timeoutMs = 5_000): Promise<Interaction> {
  return once(client, Events.InteractionCreate, { signal: AbortSignal.timeout(timeoutMs) }).then(
    ([interaction]) => interaction as Interaction,
  );
}

function predict(options: Record<string, string | number> = { text: '我 喜欢' }) {
  return slashCommand({ applicationId: fake.applicationId, guildId: HOME_GUILD.id, name: 'predict', options, locale: 'zh-CN', guildLocale: 'zh-CN' });
}

/** Sends a slash command and resolves with what the client received. */
async function roundTrip(client: Client, payload = predict()) {
  const received = nextInteraction(client);
  const handle = fake.sendInteraction(payload);
  const interaction = await received;
  if (!interaction.isChatInputCommand()) throw new Error(`expected a chat input command, got type ${interaction.type}`);
  return { handle, interaction };
}

function statusesOf(pathPattern: RegExp): number[] {
  return fake.requests.filter((request) => pathPattern.test(request.path)).map((request) => request.status);
}

describe('FakeDiscord gateway', () => {
  it('logs the real client in and announces the configured guilds', async () => {
    const client = await login();

    expect(client.user?.id).toBe(fake.botUser.id);
    expect(client.application?.id).toBe(fake.applicationId);
    expect([...client.guilds.cache.values()].map((guild) => [guild.id, guild.name, guild.available])).toEqual([
      [HOME_GUILD.id, HOME_GUILD.name, true],
      [OTHER_GUILD.id, OTHER_GUILD.name, true],
    ]);
    expect(client.guilds.cache.get(HOME_GUILD.id)?.preferredLocale).toBe('zh-CN');
    expect(fake.identifies).toHaveLength(1);
    expect(fake.identifies[0]?.intents).toBe(GatewayIntentBits.Guilds);
    const gatewayBot = await fake.waitForRequest((r) => r.path === '/gateway/bot');
    expect(gatewayBot.headers.authorization).toBe(`Bot ${fake.token}`);
  });

  it('makes login() reject when the token is wrong', async () => {
    const client = newClient();

    await expect(client.login('not-the-token')).rejects.toMatchObject({ code: 'TokenInvalid' });
    expect(statusesOf(/^\/gateway\/bot$/)).toEqual([401]);
    expect(fake.identifies).toHaveLength(0);
  });

  it('resumes with the last sequence number after closing with 4000, and interactions still arrive', async () => {
    const client = await login();
    const resumed = once(fake, 'resume');

    fake.closeGateway(4000);
    await resumed;

    expect(fake.identifies).toHaveLength(1);
    // READY plus one GUILD_CREATE per guild were dispatched before the close.
    expect(fake.resumes).toEqual([expect.objectContaining({ seq: 1 + 2, token: fake.token })]);
    const { handle, interaction } = await roundTrip(client);
    await interaction.reply('still here');
    const callback = await fake.waitFor(handle, (r) => r.kind === 'callback');
    expect(callback.body.data?.content).toBe('still here');
  });

  it('replays an interaction dispatched while the client was disconnected', async () => {
    const client = await login();
    fake.closeGateway(4000);
    const received = nextInteraction(client);

    const handle = fake.sendInteraction(predict());
    const interaction = await received;

    expect(interaction.id).toBe(handle.id);
    expect(fake.resumes).toHaveLength(1);
  });

  it('acknowledges heartbeats so the client measures a ping', async () => {
    const server = new FakeDiscord({ heartbeatIntervalMs: 25 });
    await server.start();
    try {
      const client = await login({}, server);
      await vi.waitFor(() => expect(server.heartbeats).toBeGreaterThanOrEqual(2), { timeout: 2_000, interval: 10 });
      expect(client.ws.ping).toBeGreaterThanOrEqual(0);
      await client.destroy();
    } finally {
      await server.stop();
    }
  });

  it('announces guilds joined and left while connected', async () => {
    const client = await login();
    const created = once(client, Events.GuildCreate);
    const joined = fake.joinGuild({ id: snowflake(), name: 'New Friends' });
    const [guild] = await created;
    expect(guild).toMatchObject({ id: joined.id, name: 'New Friends' });

    const deleted = once(client, Events.GuildDelete);
    fake.leaveGuild(OTHER_GUILD.id);
    const [gone] = await deleted;
    expect(gone).toMatchObject({ id: OTHER_GUILD.id });
    expect(client.guilds.cache.has(OTHER_GUILD.id)).toBe(false);
  });
});

describe('FakeDiscord interactions', () => {
  it('delivers a slash command with options, locale and member permissions, and records the reply as a type 4 callback', async () => {
    const client = await login({ allowedMentions: { parse: [] } });
    const received = nextInteraction(client);
    const handle = fake.sendInteraction(
      slashCommand({
        applicationId: fake.applicationId,
        guildId: HOME_GUILD.id,
        channelId: fake.guilds[0]!.channelId,
        name: 'predict',
        options: { text: '我 喜欢', count: 3 },
        locale: 'zh-CN',
        guildLocale: 'zh-CN',
        permissions: MEMBER_PERMISSIONS | PermissionFlagsBits.ManageGuild,
      }),
    );
    const interaction = await received;
    if (!interaction.isChatInputCommand()) throw new Error('expected a chat input command');

    expect(interaction.commandName).toBe('predict');
    expect(interaction.options.getString('text')).toBe('我 喜欢');
    expect(interaction.options.getInteger('count')).toBe(3);
    expect(interaction.locale).toBe('zh-CN');
    expect(interaction.guildLocale).toBe('zh-CN');
    expect(interaction.guild?.name).toBe(HOME_GUILD.name);
    expect(interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)).toBe(true);
    expect(interaction.memberPermissions?.has(PermissionFlagsBits.Administrator)).toBe(false);
    expect(interaction.channel?.id).toBe(fake.guilds[0]!.channelId);
    expect(interaction.channel?.type).toBe(ChannelType.GuildText);

    await interaction.reply({ content: '你 (42%)', flags: MessageFlags.Ephemeral });
    const callback = await fake.waitFor(handle, (r) => r.kind === 'callback');
    expect(callback.body).toMatchObject({
      type: InteractionResponseType.ChannelMessageWithSource,
      data: { content: '你 (42%)', allowed_mentions: { parse: [] }, flags: MessageFlags.Ephemeral },
    });
    const fetched = await interaction.fetchReply();
    expect(fetched.content).toBe('你 (42%)');
    expect(fetched.flags.has(MessageFlags.Ephemeral)).toBe(true);
  });

  it('records deferReply then editReply with a PNG attachment, in order', async () => {
    const client = await login();
    const { handle, interaction } = await roundTrip(client);

    await interaction.deferReply();
    await interaction.editReply({ content: 'training done', files: [new AttachmentBuilder(PNG, { name: 'loss.png' })] });
    const edit = await fake.waitFor(handle, (r) => r.kind === 'edit' && (r.body.content?.includes('done') ?? false));

    expect(handle.responses.map((r) => r.kind)).toEqual(['callback', 'edit']);
    expect(handle.responses[0]?.body.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    expect(handle.responses[0]?.atMs).toBeLessThanOrEqual(edit.atMs);
    expect(edit.files.map(({ name, size, contentType }) => ({ name, size, contentType }))).toEqual([
      { name: 'loss.png', size: PNG.length, contentType: 'image/png' },
    ]);
    const attachment = edit.message?.attachments[0];
    expect(attachment).toMatchObject({ filename: 'loss.png', size: PNG.length, content_type: 'image/png' });
    // The edit ends the "thinking..." state of the deferred reply.
    expect((edit.message?.flags ?? 0) & MessageFlags.Loading).toBe(0);
    expect(fake.fileAt(attachment!.url)?.data.equals(PNG)).toBe(true);
  });

  it('answers a with_response callback with the interaction and the created message', async () => {
    const client = await login();
    const { interaction } = await roundTrip(client);

    const response = await interaction.reply({ content: '猫', withResponse: true });

    expect(response.interaction.id).toBe(interaction.id);
    expect(response.resource?.message?.content).toBe('猫');
    expect(response.interaction.responseMessageId).toBe(response.resource?.message?.id);
    expect(fake.requests.find((r) => r.path.endsWith('/callback'))?.status).toBe(200);
  });

  it('records a follow-up and a deleted reply after the callback', async () => {
    const client = await login();
    const { handle, interaction } = await roundTrip(client);

    await interaction.reply('first');
    const followUp = await interaction.followUp('second');
    await interaction.deleteReply();

    expect(handle.responses.map((r) => r.kind)).toEqual(['callback', 'followUp', 'delete']);
    expect(followUp.content).toBe('second');
    await expect(interaction.fetchReply()).rejects.toMatchObject({ code: 10008 });
  });

  it('answers autocomplete with a type 8 callback carrying the choices', async () => {
    const client = await login();
    const received = nextInteraction(client);
    const handle = fake.sendInteraction(
      autocomplete({ applicationId: fake.applicationId, guildId: HOME_GUILD.id, name: 'predict', options: { text: '我 喜' }, focused: 'text' }),
    );
    const interaction = await received;
    if (!interaction.isAutocomplete()) throw new Error('expected an autocomplete interaction');

    expect(interaction.options.getFocused()).toBe('我 喜');
    await interaction.respond([{ name: '我 喜欢', value: '我 喜欢' }]);
    const callback = await fake.waitFor(handle, (r) => r.kind === 'callback');
    expect(callback.body).toEqual({
      type: InteractionResponseType.ApplicationCommandAutocompleteResult,
      data: { choices: [{ name: '我 喜欢', value: '我 喜欢' }] },
    });
  });

  it('delivers a DM command with a user instead of a member', async () => {
    // Without the Channel partial discord.js does not cache DM channels, as with the real Discord.
    const client = await login({ partials: [Partials.Channel] });
    const received = nextInteraction(client);
    const handle = fake.sendInteraction(
      dmSlashCommand({ applicationId: fake.applicationId, name: 'predict', options: { text: '你好' }, user: { id: snowflake(), username: 'lin' } }),
    );
    const interaction = await received;

    expect(interaction.inGuild()).toBe(false);
    expect(interaction.user.username).toBe('lin');
    expect(interaction.member).toBeNull();
    expect(interaction.context).toBe(InteractionContextType.BotDM);
    expect(interaction.channelId).toBe(handle.payload.channel?.id);
    expect(interaction.channel?.type).toBe(ChannelType.DM);
    if (!interaction.isChatInputCommand()) throw new Error('expected a chat input command');
    await interaction.reply('hi');
    await fake.waitFor(handle, (r) => r.kind === 'callback');
  });

  it('serves the file behind an attachment option', async () => {
    const client = await login();
    const corpus = fake.attachment({ filename: '语料 1.txt', content: '我 喜欢 猫\n你 喜欢 狗\n', contentType: 'text/plain; charset=utf-8' });
    const { interaction } = await roundTrip(
      client,
      slashCommand({ applicationId: fake.applicationId, guildId: HOME_GUILD.id, name: 'teach', options: { file: corpus } }),
    );

    const attachment = interaction.options.getAttachment('file', true);
    expect(attachment.name).toBe('语料 1.txt');
    expect(await (await fetch(attachment.url)).text()).toBe('我 喜欢 猫\n你 喜欢 狗\n');
  });
});

describe('FakeDiscord REST checks', () => {
  it('refuses a second acknowledgement with code 40060', async () => {
    const client = await login();
    const { interaction } = await roundTrip(client);
    await interaction.reply('once');

    // discord.js refuses a second reply itself, so go around it as a buggy bot could.
    const again = client.rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
      body: { type: InteractionResponseType.ChannelMessageWithSource, data: { content: 'twice' } },
      auth: false,
    });
    await expect(again).rejects.toMatchObject({ code: 40060, status: 400 });
  });

  it('refuses an acknowledgement after the deadline with code 10062', async () => {
    const server = new FakeDiscord({ interactionDeadlineMs: 30 });
    await server.start();
    try {
      const client = await login({}, server);
      const received = nextInteraction(client);
      server.sendInteraction(slashCommand({ applicationId: server.applicationId, guildId: snowflake(), name: 'predict' }));
      const interaction = await received;
      await new Promise((resolve) => setTimeout(resolve, 60));
      if (!interaction.isChatInputCommand()) throw new Error('expected a chat input command');

      await expect(interaction.reply('too late')).rejects.toMatchObject({ code: 10062 });
      await client.destroy();
    } finally {
      await server.stop();
    }
  });

  it('refuses edits and follow-ups of an interaction created more than 15 minutes ago with code 50027', async () => {
    const client = await login();
    const created = Date.now() - 15 * 60_000 + 200;
    const { interaction } = await roundTrip(client, slashCommand({ applicationId: fake.applicationId, guildId: HOME_GUILD.id, name: 'predict', createdAt: created }));
    await interaction.deferReply();
    await interaction.editReply('in time');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(interaction.editReply('too late')).rejects.toMatchObject({ code: 50027, status: 401 });
    await expect(interaction.followUp('too late')).rejects.toMatchObject({ code: 50027 });
  });

  it('takes messages posted in a guild text channel, and refuses unknown channels', async () => {
    const client = await login();
    const channelId = fake.guilds[0]!.channelId;
    const channel = await client.channels.fetch(channelId);
    if (channel === null || !channel.isSendable()) throw new Error('expected a text channel');
    await channel.send({ content: 'posted', allowedMentions: { parse: [] } });
    const posted = await fake.waitForChannelMessage((message) => message.channelId === channelId);
    expect(posted.body).toMatchObject({ content: 'posted', allowed_mentions: { parse: [] } });
    await expect(client.channels.fetch(snowflake())).rejects.toMatchObject({ code: 10003 });
  });

  it('refuses content longer than 2000 characters and empty messages', async () => {
    const client = await login();
    const { handle, interaction } = await roundTrip(client);

    await expect(interaction.reply('字'.repeat(2001))).rejects.toSatisfy(
      (error) => error instanceof DiscordAPIError && error.code === 50035 && JSON.stringify(error.rawError).includes('BASE_TYPE_MAX_LENGTH'),
    );
    await expect(interaction.reply({ content: '' })).rejects.toMatchObject({ code: 50006 });
    expect(handle.responses).toHaveLength(0);
  });

  it('stores application commands globally and per guild, keeping ids and versions of unchanged ones', async () => {
    const client = await login();
    const definition = {
      name: 'predict',
      description: '预测下一个词',
      options: [{ type: 3, name: 'text', description: '开头的词', required: true }],
    };

    const first = await client.application!.commands.set([definition]);
    await client.application!.commands.set([{ name: 'teach', description: 'Teach a sentence' }], HOME_GUILD.id);
    const again = await client.application!.commands.set([definition]);

    expect(fake.commands().map((c) => c.name)).toEqual(['predict']);
    expect(fake.commands(HOME_GUILD.id).map((c) => [c.name, c.guild_id])).toEqual([['teach', HOME_GUILD.id]]);
    expect(again.first()?.id).toBe(first.first()?.id);
    expect(again.first()?.version).toBe(first.first()?.version);
    const fetched = await client.application!.commands.fetch({ guildId: HOME_GUILD.id });
    expect(fetched.map((c) => c.name)).toEqual(['teach']);
  });

  it('refuses command definitions Discord would refuse', async () => {
    const client = await login();

    const invalid = client.application!.commands.set([
      { name: 'Predict', description: 'upper case is not allowed' },
      {
        name: 'stats',
        description: 'x',
        options: [
          { type: 3, name: 'a', description: 'optional first', required: false },
          { type: 3, name: 'b', description: 'required second', required: true },
        ],
      },
    ]);

    await expect(invalid).rejects.toSatisfy((error) => {
      const raw = JSON.stringify((error as DiscordAPIError).rawError);
      return raw.includes('APPLICATION_COMMAND_INVALID_NAME') && raw.includes('APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID');
    });
    expect(fake.commands()).toHaveLength(0);
  });

  it('answers unknown routes with 404 and lists them as unhandled', async () => {
    const client = await login();

    await expect(client.rest.get(Routes.user('@me'))).rejects.toMatchObject({ status: 404, code: 0 });
    expect(fake.unhandled.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /users/@me']);
  });
});

describe('FakeDiscord fault injection', () => {
  it('lets discord.js retry an interaction callback once after a 500', async () => {
    const client = await login();
    const { handle, interaction } = await roundTrip(client);
    fake.failNext({ method: 'POST', pathPattern: /\/callback$/, status: 500 });

    await interaction.reply('after a retry');

    expect(statusesOf(/\/callback$/)).toEqual([500, 204]);
    expect(handle.responses).toHaveLength(1);
  });

  it('surfaces an HTTPError once discord.js has used its 3 retries on 5xx', async () => {
    const client = await login();
    const { interaction } = await roundTrip(client);
    fake.failNext({ method: 'POST', pathPattern: /\/callback$/, status: 502, times: 4 });

    await expect(interaction.reply('never lands')).rejects.toSatisfy((error) => error instanceof HTTPError && error.status === 502);
    expect(statusesOf(/\/callback$/)).toEqual([502, 502, 502, 502]);
  });

  it.each([
    ['interaction callback', 'POST', /\/callback$/, (i: Interaction) => (i.isChatInputCommand() ? i.reply('ok') : null)],
    ['reply edit', 'PATCH', /\/messages\/@original$/, async (i: Interaction) => {
      if (!i.isChatInputCommand()) return;
      await i.deferReply();
      await i.editReply('ok');
    }],
  ] as const)('lets discord.js wait out a 429 with retry_after on the %s', async (_route, method, pathPattern, answer) => {
    const client = await login();
    const { interaction } = await roundTrip(client);
    fake.failNext({ method, pathPattern, status: 429, retryAfter: 0.12 });

    await answer(interaction);

    const attempts = fake.requests.filter((r) => r.method === method && pathPattern.test(r.path));
    expect(attempts.map((r) => r.status)).toEqual([429, method === 'POST' ? 204 : 200]);
    // discord.js waits Retry-After plus its 50 ms offset before trying again.
    expect(attempts[1]!.time - attempts[0]!.time).toBeGreaterThanOrEqual(120);
  });
});
