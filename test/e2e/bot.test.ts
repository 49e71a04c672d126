/**
 * The real bot (`npm start`) in a child process against the loopback fake Discord: two servers
 * teaching, training and predicting, permissions, markup, autocomplete, the retrain progress
 * message, direct messages, and the commands `npm run deploy-commands` registers.
 *
 * One bot process serves the file. Both servers are taught and trained once, by moderators'
 * `/retrain`, before the tests; each test then looks at one aspect, in its own guild or with its
 * own members, so no test depends on another.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { InteractionResponseType, MessageFlags } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCommands } from '../../src/commands/loader.ts';
import { FakeDiscord, type InteractionResponse } from '../support/fake-discord.ts';
import { snowflake } from '../support/interactions.ts';
import { REPO_ROOT, startBot, type BotProcess } from './bot-process.ts';
import { Driver, MODERATOR_PERMISSIONS, predictedWords, queryDatabase, temporaryFolder } from './driver.ts';

const TEA_HOUSE = { id: snowflake(), name: 'Tea House' };
const LAUNCH_PAD = { id: snowflake(), name: 'Launch Pad' };
const MARKUP_ROOM = { id: snowflake(), name: 'Markup Room' };
const QUIET_ROOM = { id: snowflake(), name: 'Quiet Room' };

/**
 * Each server's tiny corpus. They share no word, so a leak from one server's model to the other
 * would show; the rocket one has more than 25 distinct words, so autocomplete has more candidates
 * than Discord accepts.
 */
const TEA_SENTENCES = ['我 喜欢 喝 绿茶', '我 喜欢 喝 红茶', '你 喜欢 喝 乌龙茶', '他们 每天 喝 绿茶', '我们 一起 喝 红茶'];
const ROCKET_SENTENCES = [
  'rockets need liquid fuel',
  'engineers test rocket engines at night',
  'rockets carry heavy satellites into orbit',
  'engineers love cold liquid oxygen',
  'small satellites circle in low orbit',
  'the launch tower stands near the sea',
  'crews watch every countdown from the bunker',
];

const wordsOf = (sentences: readonly string[]): Set<string> =>
  new Set(sentences.flatMap((sentence) => sentence.toLowerCase().split(' ')));

let fake: FakeDiscord;
let bot: BotProcess;
let driver: Driver;
let folder: ReturnType<typeof temporaryFolder>;
let dbPath: string;
/** Everything the bot answered to the two moderators' `/retrain`, by guild. */
const retrainResponses = new Map<string, readonly InteractionResponse[]>();

/** The last edit of a `/retrain`: the summary, with the loss chart attached. */
const isSummary = (response: InteractionResponse): boolean => response.kind === 'edit' && response.files.length > 0;

beforeAll(async () => {
  folder = temporaryFolder('lstm-bot-e2e-');
  dbPath = path.join(folder.dir, 'bot.sqlite');
  fake = new FakeDiscord({ guilds: [TEA_HOUSE, LAUNCH_PAD, MARKUP_ROOM, QUIET_ROOM] });
  await fake.start();
  driver = new Driver(fake);
  bot = await startBot({ fake, dbPath });

  await driver.teachAll(TEA_HOUSE.id, TEA_SENTENCES);
  await driver.teachAll(LAUNCH_PAD.id, ROCKET_SENTENCES);
  const handles = [TEA_HOUSE, LAUNCH_PAD].map((guild) => ({
    guild,
    handle: driver.command(guild.id, 'retrain', {}, { permissions: MODERATOR_PERMISSIONS }),
  }));
  for (const { guild, handle } of handles) {
    await fake.waitFor(handle, isSummary, 110_000);
    retrainResponses.set(guild.id, [...handle.responses]);
  }
}, 180_000);

afterAll(async () => {
  await bot?.stop();
  await fake?.stop();
  folder?.remove();
});

describe('the bot process against the fake Discord', () => {
  it('predicts in each server from that server’s sentences only', async () => {
    const teaAnswer = await driver.text(driver.command(TEA_HOUSE.id, 'predict', { text: '我 喜欢', count: 10 }));
    const rocketAnswer = await driver.text(driver.command(LAUNCH_PAD.id, 'predict', { text: 'engineers', count: 10 }));
    const teaPredicted = predictedWords(teaAnswer);
    const rocketPredicted = predictedWords(rocketAnswer);

    // Every tea sentence with 喜欢 continues with 喝; both rocket sentences with "engineers" go on
    // with "test" or "love".
    expect(teaPredicted[0]).toBe('喝');
    expect(rocketPredicted.slice(0, 2).sort()).toEqual(['love', 'test']);
    const teaWords = wordsOf(TEA_SENTENCES);
    const rocketWords = wordsOf(ROCKET_SENTENCES);
    expect(teaPredicted).toHaveLength(10);
    expect(teaPredicted.filter((word) => !teaWords.has(word))).toEqual([]);
    expect(rocketPredicted.filter((word) => !rocketWords.has(word))).toEqual([]);

    const crossed = await driver.text(driver.command(TEA_HOUSE.id, 'predict', { text: 'rockets engineers' }));
    expect(crossed).toContain('None of these words are known yet');
  });

  it('refuses /retrain to a member without Manage Server and starts no run', async () => {
    const refused = await driver.answer(driver.command(QUIET_ROOM.id, 'retrain', { full: true }));
    expect(refused.message.content).toBe('Only members with the **Manage Server** permission can do this.');
    expect(refused.message.flags).toBe(MessageFlags.Ephemeral);
    const runs = queryDatabase<{ n: number }>(dbPath, 'SELECT count(*) AS n FROM training_runs WHERE guild_id = ?', QUIET_ROOM.id);
    expect(runs[0]?.n).toBe(0);
    // The moderators' retrains of the two trained servers were accepted.
    for (const guild of [TEA_HOUSE, LAUNCH_PAD]) {
      expect(retrainResponses.get(guild.id)?.[0]?.body.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
    }
  });

  it('defers /retrain, edits it with the progress and ends with a summary and the loss chart', () => {
    for (const guild of [TEA_HOUSE, LAUNCH_PAD]) {
      const responses = retrainResponses.get(guild.id) ?? [];
      const [callback, ...edits] = responses;
      expect(callback?.kind).toBe('callback');
      expect(callback?.body.type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
      const summary = edits.at(-1);
      const progress = edits.slice(0, -1);
      expect(progress.length).toBeGreaterThan(0);
      for (const edit of progress) {
        expect(edit.kind).toBe('edit');
        expect(edit.body.content).toMatch(
          /^Retraining this server’s model…\n(waiting for its turn|preparing the data|saving the model|Epoch \d+\/\d+, training)/,
        );
      }
      expect(summary?.body.content).toBe('**Training finished**');
      const embed = summary?.body.embeds?.[0];
      expect(embed?.image?.url).toBe('attachment://loss.png');
      expect(embed?.fields?.find((field) => field.name === 'Model version')?.value).toBe('v1');
      expect(embed?.fields?.find((field) => field.name === 'Sentences')?.value).toBe(
        String(guild === TEA_HOUSE ? TEA_SENTENCES.length : ROCKET_SENTENCES.length),
      );
      const chart = summary?.files[0];
      expect(chart).toMatchObject({ name: 'loss.png', contentType: 'image/png' });
      expect(chart?.data.subarray(1, 4).toString()).toBe('PNG');
      for (const response of responses.slice(1)) expect(response.body.allowed_mentions).toEqual({ parse: [] });
    }
    // Training runs one at a time: whichever server waited showed it was waiting.
    const allProgress = [...retrainResponses.values()].flatMap((responses) => responses.slice(1, -1));
    expect(allProgress.some((edit) => edit.body.content?.includes('waiting for its turn'))).toBe(true);
  });

  it('answers /predict autocomplete with at most 25 choices that continue the typed text', async () => {
    const callback = await driver.callback(driver.autocomplete(LAUNCH_PAD.id, 'predict', { text: 'rockets' }, 'text'));
    expect(callback.body.type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
    const choices = callback.body.data?.choices ?? [];
    // More than 25 words are known in this server; Discord accepts 25.
    expect(wordsOf(ROCKET_SENTENCES).size).toBeGreaterThan(25);
    expect(choices).toHaveLength(25);
    expect(choices.every((choice) => choice.name === choice.value && String(choice.value).startsWith('rockets '))).toBe(true);
    expect(choices.slice(0, 2).map((choice) => choice.value).sort()).toEqual(['rockets carry', 'rockets need']);
  });

  it('stores taught sentences without mentions or links, and no reply can ping anyone', async () => {
    const member = { userId: snowflake() };
    const taught = await driver.answer(
      driver.command(
        MARKUP_ROOM.id,
        'teach',
        { sentence: `@everyone <@${member.userId}> look at https://example.com/tea?x=1 now` },
        member,
      ),
    );
    expect(taught.message.content).toContain('Learned, as the model sees it: `look | at | now`');
    expect(taught.message.content).toContain('3 mentions or links were left out.');
    const stored = queryDatabase<{ text: string; tokens: string; author_id: string }>(
      dbPath,
      'SELECT text, tokens, author_id FROM sentences WHERE guild_id = ?',
      MARKUP_ROOM.id,
    );
    expect(stored).toEqual([{ text: 'look at now', tokens: JSON.stringify(['look', 'at', 'now']), author_id: member.userId }]);

    const listed = await driver.answer(driver.command(MARKUP_ROOM.id, 'sentences list', {}, member));
    expect(listed.message.content).toContain('look at now');
    // The listing names the author as a mention: it must render, never ping.
    expect(listed.message.content).toContain(`<@${member.userId}>`);
    for (const response of [...taught.responses, ...listed.responses]) {
      expect(response.body.data?.allowed_mentions ?? response.body.allowed_mentions).toEqual({ parse: [] });
    }
  });

  it('answers a command used in a direct message with the guild-only message', async () => {
    const answer = await driver.answer(driver.directMessage('teach', { sentence: 'hello there' }));
    expect(answer.message.content).toBe('These commands work in a server only: every server teaches its own model.');
    expect(answer.message.flags).toBe(MessageFlags.Ephemeral);
    const stored = queryDatabase<{ n: number }>(dbPath, "SELECT count(*) AS n FROM sentences WHERE text = 'hello there'");
    expect(stored[0]?.n).toBe(0);
  });

  it('registers with npm run deploy-commands exactly the commands of the command files', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/discord/deploy.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        DISCORD_TOKEN: fake.token,
        DISCORD_CLIENT_ID: fake.applicationId,
        DISCORD_API_URL: fake.apiUrl,
        DEV_GUILD_ID: '',
      },
    });
    const expected = (await loadCommands()).map((plugin) => plugin.data.toJSON());
    const registered = fake.commands();
    expect(stdout).toContain(`Registered ${expected.length} commands globally`);
    expect(registered.map((command) => command.name).sort()).toEqual(expected.map((command) => command.name).sort());
    for (const definition of expected) {
      // Through JSON, as sent: unset fields disappear instead of comparing as undefined.
      const sent = JSON.parse(JSON.stringify(definition)) as object;
      expect(registered.find((command) => command.name === definition.name)).toMatchObject(sent);
    }
  });
});
