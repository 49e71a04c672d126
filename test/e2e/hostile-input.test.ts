/**
 * Hostile text sent to the real bot process: 250 `/teach` and 250 `/predict` inputs (the latter
 * also typed into autocomplete) generated from a fixed seed: empty, 10,000 characters, control,
 * zero-width and bidirectional characters, unpaired surrogates, only emoji, only punctuation,
 * SQL-like text and Discord markup, alone or mixed with words. Every one must get a clear answer
 * in time, nothing may crash, nothing may be stored that should not be, and no reply may ping.
 */
import path from 'node:path';
import { InteractionResponseType } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTokens } from '../../src/text/markdown.ts';
import { FakeDiscord, type InteractionResponse } from '../support/fake-discord.ts';
import { snowflake } from '../support/interactions.ts';
import { LEVEL, startBot, type BotProcess } from './bot-process.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { Driver, MODERATOR_PERMISSIONS, answeringVersion, queryDatabase, temporaryFolder } from './driver.ts';

const TEACH_GUILD = { id: snowflake(), name: 'Teach Range' };
const PREDICT_GUILD = { id: snowflake(), name: 'Predict Range' };
const TRAINING_SENTENCES = ['cats chase red mice', 'dogs chase blue balls', 'cats sleep on warm mats', 'birds sing at dawn'];
/**
 * Inputs in flight at once (each `/predict` input also sends its autocomplete): a busy server,
 * kept modest so that a machine loaded by other test files still answers within Discord's 3 s.
 */
const BATCH = 10;

/** What an input must get: refused by `/teach` (and empty for `/predict`), or possibly learned. */
type Expectation = 'no-text' | 'no-words' | 'too-long' | 'too-many-words' | 'has-words';

interface HostileInput {
  text: string;
  expect: Expectation;
}



const INVISIBLE = ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069', '\ufeff', '\u00ad'];
const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff'];
const EMOJI = ['😀', '🎉', '🔥', '👨‍👩‍👧‍👦', '🏳️‍🌈', '❤️', '👍🏽'];
const PUNCTUATION = ['.', '!', '?', '…', '。', '，', '！', '-', '—', '"', '(', ')', '*', '#', '~', '`', '|', '/', '\\'];
const MARKUP = [
  '@everyone',
  '@here',
  '<@123456789012345678>',
  '<@!123456789012345678>',
  '<@&223456789012345678>',
  '<#323456789012345678>',
  '<:blob:423456789012345678>',
  '<a:dance:523456789012345678>',
  '</teach:623456789012345678>',
  '<t:1700000000:R>',
  'https://example.com/a?b=c',
  'http://example.org',
  'www.example.net/path',
  'discord://-/channels/1/2',
];
const SQL = ["'; DROP TABLE sentences; --", '" OR 1=1 --', "1'); DELETE FROM models; --", 'UNION SELECT * FROM training_runs'];
/** Words of every script, and some the predicting server knows. */
const WORDS = ['river', 'stone', 'lamp', '茶', '喜欢', 'señal', 'straße', 'кошка', 'مرحبا', 'שלום', 'cats', 'dogs', 'chase'];

/** The 250 hostile texts of one command. */
function hostileInputs(seed: number, count: number): HostileInput[] {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  // Markup and lone surrogates are kept apart by spaces: glued together, two surrogate halves
  // would make one valid character, and markup would run into its neighbour.
  const several = (items: readonly string[], max: number, separator = pick(['', ' '])): string =>
    Array.from({ length: 1 + Math.floor(next() * max) }, () => pick(items)).join(separator);
  const word = (index: number): string => `${pick(WORDS)}${index}`;
  const makers: ((index: number) => HostileInput)[] = [
    () => ({ text: '', expect: 'no-text' }),
    () => ({ text: pick([' ', '   ', '\t', '\n\n', ' \r\n ']), expect: 'no-text' }),
    () => ({ text: several(INVISIBLE, 8), expect: 'no-text' }),
    () => ({ text: several(LONE_SURROGATES, 4, ' '), expect: 'no-text' }),
    () => ({ text: several(EMOJI, 6), expect: 'no-words' }),
    () => ({ text: several(PUNCTUATION, 12), expect: 'no-words' }),
    () => ({ text: several(MARKUP, 4, ' '), expect: 'no-words' }),
    (index) => ({ text: `${word(index)} `.repeat(Math.ceil(10_000 / (word(index).length + 1))).slice(0, 10_000), expect: 'too-long' }),
    () => ({ text: pick(EMOJI).repeat(5_000), expect: 'too-long' }),
    (index) => ({ text: Array.from({ length: 70 }, (_, n) => `w${n}`).join(' ') + word(index), expect: 'too-many-words' }),
    (index) => ({ text: `${word(index)}${pick(INVISIBLE)}${word(index + 1)} ${pick(INVISIBLE)}${pick(WORDS)}`, expect: 'has-words' }),
    (index) => ({ text: `${word(index)}${pick(LONE_SURROGATES)} ${pick(WORDS)}`, expect: 'has-words' }),
    (index) => ({ text: `\u202e${word(index)} ${pick(WORDS)}\u202c \u200f${pick(WORDS)}`, expect: 'has-words' }),
    (index) => ({ text: `${pick(MARKUP)} ${word(index)} ${pick(MARKUP)} ${pick(WORDS)} ${pick(MARKUP)}`, expect: 'has-words' }),
    (index) => ({ text: `${word(index)} ${pick(SQL)}`, expect: 'has-words' }),
    (index) => ({ text: `**${word(index)}** __${pick(WORDS)}__ ||${pick(WORDS)}|| \`\`\`js\n${pick(SQL)}\n\`\`\` [x](${pick(MARKUP)})`, expect: 'has-words' }),
    (index) => ({ text: `${several(EMOJI, 3)} ${word(index)} ${several(PUNCTUATION, 5)}`, expect: 'has-words' }),
  ];
  return Array.from({ length: count }, (_, index) => makers[index % makers.length]!(index));
}

/** What `/teach` may answer to each kind of input (English replies). */
const TEACH_ANSWERS: Record<Expectation, RegExp> = {
  'no-text': /^The sentence is empty\.$/,
  'no-words': /^The sentence contains no words \(only punctuation, symbols, mentions or links\)\.$/,
  'too-long': /^The sentence is too long: \d+ characters, at most 300\.$/,
  'too-many-words': /^The sentence has too many words: \d+, at most 64\.$/,
  'has-words': /^(Learned, as the model sees it: .+\n|This sentence is already known \(#\d+\)\.$)/,
};

/** Characters and markup that must never reach a stored sentence or its tokens. */
const FORBIDDEN = [
  /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]/u,
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
  /<[@#:a/t]|@everyone|@here|https?:|www\.|discord:/i,
];

let fake: FakeDiscord;
let bot: BotProcess;
let driver: Driver;
let folder: ReturnType<typeof temporaryFolder>;
let dbPath: string;

beforeAll(async () => {
  folder = temporaryFolder('lstm-bot-hostile-');
  dbPath = path.join(folder.dir, 'bot.sqlite');
  fake = new FakeDiscord({ guilds: [TEACH_GUILD, PREDICT_GUILD] });
  await fake.start();
  driver = new Driver(fake);
  // One member sends every input: the limits of /predict and autocomplete are not what is tested here.
  const unlimited = { PREDICT_COOLDOWN_PER_MINUTE: '1000', AUTOCOMPLETE_COOLDOWN_PER_MINUTE: '1000' };
  bot = await startBot({ fake, dbPath, env: unlimited });
  await driver.teachAll(PREDICT_GUILD.id, TRAINING_SENTENCES);
  const retrain = driver.command(PREDICT_GUILD.id, 'retrain', {}, { permissions: MODERATOR_PERMISSIONS });
  await fake.waitFor(retrain, (response) => response.files.length > 0, 60_000);
}, 120_000);

afterAll(async () => {
  await bot?.stop();
  await fake?.stop();
  folder?.remove();
});

/** Sends every input through `send`, `BATCH` at a time, and collects what each got back. */
async function inBatches<T>(inputs: readonly HostileInput[], send: (input: HostileInput) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < inputs.length; start += BATCH) {
    results.push(...(await Promise.all(inputs.slice(start, start + BATCH).map(send))));
  }
  return results;
}

/** The responses that show text: all but a deferral, which only shows "thinking…". */
const messagesOf = (responses: readonly InteractionResponse[]): InteractionResponse[] =>
  responses.filter((response) => response.body.type !== InteractionResponseType.DeferredChannelMessageWithSource);

/** The mention settings of a message response (callbacks carry the message in `data`). */
const allowedMentionsOf = (response: InteractionResponse) => response.body.data?.allowed_mentions ?? response.body.allowed_mentions;

/** `text` as sent, escaped so a failure message shows its invisible characters. */
const shown = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

describe('hostile input to the bot process', () => {
  it('answers 250 hostile /teach inputs clearly, stores only clean sentences with words, and never pings', async () => {
    const inputs = hostileInputs(20_240_611, 250);
    const answers = await inBatches(inputs, async (input) => {
      const handle = driver.command(TEACH_GUILD.id, 'teach', { sentence: input.text }, { userId: snowflake() });
      return { input, ...(await driver.answer(handle)) };
    });

    const wrong = answers.filter(({ input, message }) => !TEACH_ANSWERS[input.expect].test(message.content ?? ''));
    expect(wrong.map(({ input, message }) => `${shown(input.text)} -> ${message.content}`)).toEqual([]);
    for (const { responses } of answers) {
      for (const response of messagesOf(responses)) expect(allowedMentionsOf(response)).toEqual({ parse: [] });
    }

    const stored = queryDatabase<{ text: string; tokens: string }>(dbPath, 'SELECT text, tokens FROM sentences WHERE guild_id = ?', TEACH_GUILD.id);
    // Each sentence learned is stored once, with the tokens its reply showed.
    const learned = answers.flatMap(({ message }) => /^Learned, as the model sees it: (.+)/.exec(message.content ?? '')?.[1] ?? []);
    expect(learned.length).toBeGreaterThan(50);
    const storedShown = stored.map((row) => formatTokens(JSON.parse(row.tokens) as string[]));
    expect(storedShown.sort()).toEqual(learned.sort());
    for (const row of stored) {
      const tokens = JSON.parse(row.tokens) as string[];
      expect(tokens.length).toBeGreaterThan(0);
      expect(tokens.length).toBeLessThanOrEqual(64);
      expect([...row.text].length).toBeLessThanOrEqual(300);
      for (const value of [row.text, ...tokens]) {
        expect(FORBIDDEN.filter((pattern) => pattern.test(value)), shown(value)).toEqual([]);
      }
    }
    // The SQL-like sentences were stored as text, not run.
    expect(stored.some((row) => row.text.includes('DROP TABLE sentences'))).toBe(true);
    const tables = queryDatabase<{ name: string }>(dbPath, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['guilds', 'models', 'sentences', 'training_runs']));
    expect(queryDatabase(dbPath, 'SELECT version FROM models WHERE guild_id = ?', PREDICT_GUILD.id)).toHaveLength(1);
    expect(bot.exit).toBeNull();
    expect(bot.linesAtLeast(LEVEL.error)).toEqual([]);
  });

  it('answers 250 hostile /predict inputs and their autocomplete in time, without a crash or a ping', async () => {
    const inputs = hostileInputs(19_970_101, 250);
    const answers = await inBatches(inputs, async (input) => {
      const command = driver.command(PREDICT_GUILD.id, 'predict', { text: input.text });
      const suggestions = driver.autocomplete(PREDICT_GUILD.id, 'predict', { text: input.text }, 'text');
      const [answer, choices] = await Promise.all([driver.answer(command), driver.callback(suggestions)]);
      return { input, ...answer, command, choices };
    });

    for (const { input, message, responses, command, choices } of answers) {
      const content = message.content ?? '';
      const context = `${shown(input.text)} -> ${content}`;
      // Markup alone leaves no word either; punctuation and emoji are tokens the model never saw.
      if (input.expect === 'no-text') expect(content, context).toBe('Please give at least one word.');
      else expect(content, context).toMatch(/^(\*\*Next word after |None of these words are known yet: |Please give at least one word\.$)/);
      // Within Discord's 300-character limit on the option, the predictions always fit; a longer
      // text (which Discord itself never delivers) is echoed until the message is cut at 2,000.
      if (content.startsWith('**Next word after') && [...input.text].length <= 300) {
        expect(answeringVersion(content), context).toBe(1);
      }
      expect(content.length).toBeLessThanOrEqual(2000);
      for (const response of messagesOf(responses)) expect(allowedMentionsOf(response)).toEqual({ parse: [] });
      expect(command.responses[0]?.atMs).toBeLessThan(3000);

      expect(choices.body.type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
      expect(choices.atMs).toBeLessThan(3000);
      const offered = choices.body.data?.choices ?? [];
      expect(offered.length).toBeLessThanOrEqual(25);
      for (const choice of offered) {
        expect(String(choice.value).length).toBeGreaterThan(0);
        expect(String(choice.value).length).toBeLessThanOrEqual(100);
      }
    }
    // Known words were recognised somewhere in the mix: the model really answered.
    expect(answers.some(({ message }) => (message.content ?? '').startsWith('**Next word after'))).toBe(true);
    expect(bot.exit).toBeNull();
    expect(bot.linesAtLeast(LEVEL.error)).toEqual([]);
    // Nothing but log lines on stdout: no stray output from a failure.
    expect(bot.plainStdout).toEqual([]);
  });
});
