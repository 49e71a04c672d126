/**
 * The behaviour every {@link BotServices} shares, as one suite run against each implementation:
 * the real services on a SQLite file and the in-memory services of the command tests. A policy the
 * command tests rely on (what a member may teach, how sentences are listed, searched and forgotten,
 * what is said before a first model) is checked against the real code here, so the in-memory
 * services cannot drift from it unnoticed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BotServicesSettings } from '../../src/app/bot-services.ts';
import type { BotServices, TeachOutcome } from '../../src/app/services.ts';
import { SENTENCE_LIMITS } from '../../src/app/teach-policy.ts';
import { explanationOf } from './serving-models.ts';

/** Services under test, and how to let go of what they hold. */
export interface ContractSubject {
  services: BotServices;
  close(): Promise<void>;
}

/** Changes before a retrain (and sentences before the in-memory services' model): more than a guild asked for a model's answer here has. */
const SETTINGS: BotServicesSettings = { retrainMinChanges: 8 };

const ALICE = '222222222222222222';
const BOB = '333333333333333333';

/**
 * Runs the shared behaviour against the services `create` builds with the given settings. The
 * services are built once for the suite; each test works in a guild of its own.
 */
export function describeBotServicesContract(name: string, create: (settings: BotServicesSettings) => Promise<ContractSubject>): void {
  describe(`${name}: the BotServices contract`, () => {
    let subject: ContractSubject;
    let services: BotServices;
    let guilds = 0;
    /** A guild no other test has used. */
    const freshGuild = (): string => `90000000000000${String((guilds += 1)).padStart(4, '0')}`;

    beforeAll(async () => {
      subject = await create(SETTINGS);
      services = subject.services;
    });

    afterAll(() => subject.close());

    const teach = (guildId: string, text: string, authorId = ALICE): Promise<TeachOutcome> =>
      services.teach({ guildId, channelId: null, authorId, text, source: 'console' });

    /** Teaches each sentence, which must be accepted, and returns their ids. */
    async function taught(guildId: string, entries: readonly (readonly [authorId: string, text: string])[]): Promise<number[]> {
      const ids: number[] = [];
      for (const [authorId, text] of entries) {
        const outcome = await teach(guildId, text, authorId);
        if (outcome.status !== 'added') throw new Error(`${text} was refused: ${outcome.status}`);
        ids.push(outcome.id);
      }
      return ids;
    }

    const texts = async (guildId: string): Promise<string[]> => services.exportSentences(guildId, {});

    describe('teaching', () => {
      it('adds a sentence with its tokens, the markup left out, the cleaned text stored, and the changes still needed before a retrain', async () => {
        const guild = freshGuild();
        const outcome = await teach(guild, '  Look <@123456789012345678> at https://example.com   now ');
        expect(outcome).toEqual({ status: 'added', id: expect.any(Number), tokens: ['look', 'at', 'now'], removedMarkup: 2, untilRetrain: SETTINGS.retrainMinChanges - 1 });
        expect(await texts(guild)).toEqual(['Look at now']);
      });

      it('cuts Chinese into words and counts the changes down to the retrain, never below zero', async () => {
        const guild = freshGuild();
        const first = await teach(guild, '我喜欢猫');
        expect(first).toMatchObject({ status: 'added', tokens: ['我', '喜欢', '猫'] });
        const sentences = Array.from({ length: SETTINGS.retrainMinChanges }, (_, index) => `sentence number ${index}`);
        const untilRetrain = [];
        for (const text of sentences) {
          const outcome = await teach(guild, text);
          untilRetrain.push(outcome.status === 'added' ? outcome.untilRetrain : outcome.status);
        }
        expect(untilRetrain).toEqual([...Array.from({ length: SETTINGS.retrainMinChanges - 1 }, (_, index) => SETTINGS.retrainMinChanges - 2 - index), 0]);
      });

      it('counts removals as changes toward the retrain', async () => {
        const guild = freshGuild();
        const [first] = await taught(guild, [[ALICE, 'the first sentence'], [ALICE, 'the second sentence']]);
        expect(await services.forgetSentence(guild, first!)).toBe(true);
        expect(await teach(guild, 'the third sentence')).toMatchObject({ status: 'added', untilRetrain: SETTINGS.retrainMinChanges - 4 });
        expect((await services.stats(guild)).changesSinceModel).toBe(4);
      });

      it('refuses a sentence with the same tokens in the same guild, naming the one known, whoever taught it', async () => {
        const guild = freshGuild();
        const [id] = await taught(guild, [[ALICE, '我喜欢猫']]);
        expect(await teach(guild, '我 喜欢 猫', BOB)).toEqual({ status: 'duplicate', existingId: id });
        expect(await teach(guild, 'Hello,   WORLD!')).toMatchObject({ status: 'added' });
        expect(await teach(guild, 'hello , world !', BOB)).toEqual({ status: 'duplicate', existingId: expect.any(Number) });
        expect(await texts(guild)).toEqual(['我喜欢猫', 'Hello, WORLD!']);
        expect(await teach(freshGuild(), '我喜欢猫')).toMatchObject({ status: 'added' });
      });

      it('refuses a sentence that is empty once whitespace and invisible characters are removed', async () => {
        const guild = freshGuild();
        expect(await teach(guild, '')).toEqual({ status: 'empty' });
        expect(await teach(guild, ' \t\n ')).toEqual({ status: 'empty' });
        expect(await teach(guild, '\u200b\u2060\ufeff')).toEqual({ status: 'empty' });
        expect(await texts(guild)).toEqual([]);
      });

      it('refuses a sentence of only punctuation, symbols, mentions or links as wordless, however many tokens it has', async () => {
        const guild = freshGuild();
        expect(await teach(guild, '!!! ???')).toEqual({ status: 'no_words' });
        expect(await teach(guild, '<@123456789012345678> https://example.com')).toEqual({ status: 'no_words' });
        expect(await teach(guild, '! '.repeat(SENTENCE_LIMITS.maxTokens + 10))).toEqual({ status: 'no_words' });
        expect(await texts(guild)).toEqual([]);
      });

      it('refuses a sentence longer than the limit in characters, giving its length and the limit', async () => {
        const guild = freshGuild();
        const { maxLength } = SENTENCE_LIMITS;
        expect(await teach(guild, 'a'.repeat(maxLength + 1))).toEqual({ status: 'too_long', length: maxLength + 1, maxLength });
        expect(await teach(guild, 'a'.repeat(maxLength))).toMatchObject({ status: 'added' });
        // Characters, not UTF-16 units: a character outside the BMP counts once.
        expect(await teach(guild, `${'𠀋'.repeat(maxLength - 3)} ok`)).not.toMatchObject({ status: 'too_long' });
        expect(await texts(guild)).toEqual(['a'.repeat(maxLength)]);
      });

      it('refuses a sentence with more tokens than the limit, giving their number and the limit', async () => {
        const guild = freshGuild();
        const { maxTokens } = SENTENCE_LIMITS;
        const words = (count: number) => Array.from({ length: count }, (_, index) => `w${index}`).join(' ');
        expect(await teach(guild, words(maxTokens + 1))).toEqual({ status: 'too_many_tokens', tokens: maxTokens + 1, maxTokens });
        expect(await teach(guild, words(maxTokens))).toMatchObject({ status: 'added' });
        expect(await texts(guild)).toEqual([words(maxTokens)]);
      });

      it('changes nothing when it refuses a sentence', async () => {
        const guild = freshGuild();
        await taught(guild, [[ALICE, 'one known sentence']]);
        for (const text of ['', '...', 'a'.repeat(SENTENCE_LIMITS.maxLength + 1), 'one  known sentence']) await teach(guild, text, BOB);
        const stats = await services.stats(guild);
        expect([stats.sentences, stats.contributors, stats.changesSinceModel]).toEqual([1, 1, 1]);
      });
    });

    describe('listing, exporting and searching sentences', () => {
      it('lists a guild’s sentences newest first, a page at a time, with the total and the number of pages', async () => {
        const guild = freshGuild();
        const ids = await taught(guild, [[ALICE, 'one'], [BOB, 'two'], [ALICE, 'three'], [ALICE, 'four'], [BOB, 'five']]);
        await taught(freshGuild(), [[ALICE, 'elsewhere']]);
        const first = await services.listSentences(guild, { page: 1, pageSize: 2 });
        expect(first).toMatchObject({ total: 5, page: 1, pageCount: 3 });
        expect(first.sentences.map((sentence) => [sentence.id, sentence.authorId, sentence.text, sentence.tokens])).toEqual([
          [ids[4], BOB, 'five', ['five']],
          [ids[3], ALICE, 'four', ['four']],
        ]);
        expect((await services.listSentences(guild, { page: 3, pageSize: 2 })).sentences.map((sentence) => sentence.text)).toEqual(['one']);
        expect(await services.listSentences(guild, { page: 0, pageSize: 2 })).toMatchObject({ page: 1, total: 5 });
        const pastTheEnd = await services.listSentences(guild, { page: 99, pageSize: 2 });
        expect([pastTheEnd.page, pastTheEnd.pageCount, pastTheEnd.sentences.map((sentence) => sentence.text)]).toEqual([3, 3, ['one']]);
      });

      it('lists one member’s sentences when asked, and one empty page when there are none', async () => {
        const guild = freshGuild();
        await taught(guild, [[ALICE, 'one'], [BOB, 'two'], [ALICE, 'three']]);
        const alices = await services.listSentences(guild, { authorId: ALICE, page: 1, pageSize: 10 });
        expect([alices.total, alices.pageCount, alices.sentences.map((sentence) => sentence.text)]).toEqual([2, 1, ['three', 'one']]);
        expect(await services.listSentences(freshGuild(), { page: 1, pageSize: 10 })).toEqual({ sentences: [], total: 0, page: 1, pageCount: 1 });
      });

      it('exports the text of the guild’s sentences oldest first, or one member’s', async () => {
        const guild = freshGuild();
        await taught(guild, [[ALICE, 'one'], [BOB, 'two'], [ALICE, 'three']]);
        await taught(freshGuild(), [[ALICE, 'elsewhere']]);
        expect(await services.exportSentences(guild, {})).toEqual(['one', 'two', 'three']);
        expect(await services.exportSentences(guild, { authorId: ALICE })).toEqual(['one', 'three']);
        expect(await services.exportSentences(guild, { authorId: '444444444444444444' })).toEqual([]);
      });

      it('searches for autocomplete: sentences containing the text (ASCII case ignored), those starting with it first, then newest first, at most the limit', async () => {
        const guild = freshGuild();
        await taught(guild, [[ALICE, 'the cat sleeps'], [BOB, 'a Cat runs'], [ALICE, 'cats purr'], [ALICE, 'dogs bark'], [BOB, 'CAT food']]);
        await taught(freshGuild(), [[ALICE, 'cat elsewhere']]);
        const found = async (query: string, authorId: string | undefined, limit = 25) =>
          (await services.searchSentences(guild, query, authorId, limit)).map((sentence) => sentence.text);
        expect(await found('cat', undefined)).toEqual(['CAT food', 'cats purr', 'a Cat runs', 'the cat sleeps']);
        expect(await found('cat', undefined, 2)).toEqual(['CAT food', 'cats purr']);
        expect(await found('cat', ALICE)).toEqual(['cats purr', 'the cat sleeps']);
        expect(await found('bird', undefined)).toEqual([]);
      });

      it('matches search text literally, wildcards and all', async () => {
        const guild = freshGuild();
        await taught(guild, [[ALICE, '100% sure'], [ALICE, '100 percent'], [ALICE, 'snake_case name'], [ALICE, 'snake case name']]);
        const found = async (query: string) => (await services.searchSentences(guild, query, undefined, 25)).map((sentence) => sentence.text);
        expect(await found('0%')).toEqual(['100% sure']);
        expect(await found('e_c')).toEqual(['snake_case name']);
      });

      it('searches Chinese text by its characters', async () => {
        const guild = freshGuild();
        await taught(guild, [[ALICE, '我喜欢猫'], [ALICE, '猫喜欢鱼'], [ALICE, '我喜欢狗']]);
        expect((await services.searchSentences(guild, '猫', undefined, 25)).map((sentence) => sentence.text)).toEqual(['猫喜欢鱼', '我喜欢猫']);
      });
    });

    describe('forgetting', () => {
      it('lets a member forget their own sentence, not another member’s', async () => {
        const guild = freshGuild();
        const [alices, bobs] = await taught(guild, [[ALICE, 'mine'], [BOB, 'theirs']]);
        expect(await services.forgetSentence(guild, bobs!, ALICE)).toBe(false);
        expect(await services.forgetSentence(guild, alices!, ALICE)).toBe(true);
        expect(await services.forgetSentence(guild, alices!, ALICE)).toBe(false);
        expect(await texts(guild)).toEqual(['theirs']);
      });

      it('lets a moderator forget any sentence of the guild, not one of another guild nor one that does not exist', async () => {
        const guild = freshGuild();
        const other = freshGuild();
        const [bobs] = await taught(guild, [[BOB, 'theirs']]);
        const [elsewhere] = await taught(other, [[BOB, 'elsewhere']]);
        expect(await services.forgetSentence(guild, elsewhere!)).toBe(false);
        expect(await services.forgetSentence(guild, 987_654_321)).toBe(false);
        expect(await services.forgetSentence(guild, bobs!)).toBe(true);
        expect(await texts(guild)).toEqual([]);
        expect(await texts(other)).toEqual(['elsewhere']);
      });

      it('forgets every sentence of a member in the guild and says how many', async () => {
        const guild = freshGuild();
        const other = freshGuild();
        await taught(guild, [[ALICE, 'one'], [BOB, 'two'], [ALICE, 'three']]);
        await taught(other, [[ALICE, 'elsewhere']]);
        expect(await services.forgetAuthor(guild, ALICE)).toBe(2);
        expect(await services.forgetAuthor(guild, ALICE)).toBe(0);
        expect(await texts(guild)).toEqual(['two']);
        expect(await texts(other)).toEqual(['elsewhere']);
      });

      it('lets a forgotten sentence be taught again', async () => {
        const guild = freshGuild();
        const [id] = await taught(guild, [[ALICE, 'once more']]);
        await services.forgetSentence(guild, id!);
        expect(await teach(guild, 'once more')).toMatchObject({ status: 'added' });
      });
    });

    describe('stats', () => {
      it('counts sentences and contributors of the guild, with no model nor run yet', async () => {
        const guild = freshGuild();
        await taught(guild, [[ALICE, 'one'], [BOB, 'two'], [ALICE, 'three']]);
        await taught(freshGuild(), [[ALICE, 'elsewhere']]);
        expect(await services.stats(guild)).toMatchObject({
          sentences: 3,
          contributors: 2,
          vocabularySize: null,
          model: null,
          changesSinceModel: 3,
          retrainMinChanges: SETTINGS.retrainMinChanges,
          lastRun: null,
        });
        const forgotten = await services.forgetAuthor(guild, BOB);
        expect(forgotten).toBe(1);
        expect(await services.stats(guild)).toMatchObject({ sentences: 2, contributors: 1, changesSinceModel: 4 });
      });

      it('counts nothing for a guild that taught nothing', async () => {
        expect(await services.stats(freshGuild())).toMatchObject({ sentences: 0, contributors: 0, model: null, changesSinceModel: 0, lastRun: null });
      });
    });

    describe('before a first model', () => {
      it('answers predictions, generation and explanations with the sentences taught and still needed', async () => {
        const guild = freshGuild();
        await taught(guild, [[ALICE, 'the cat sat'], [BOB, 'the dog ran']]);
        const noModel = { status: 'no_model', sentences: 2, sentencesNeeded: SETTINGS.retrainMinChanges - 2 };
        expect(await services.predict(guild, 'the', 5)).toEqual(noModel);
        expect(await services.generate(guild, 'the cat', 5, 1)).toEqual(noModel);
        expect(await explanationOf(services, guild, { text: 'the cat', locale: 'en' })).toEqual(noModel);
        expect(await services.predict(freshGuild(), '我', 5)).toEqual({ status: 'no_model', sentences: 0, sentencesNeeded: SETTINGS.retrainMinChanges });
      });

      it('offers no completions', async () => {
        const guild = freshGuild();
        await taught(guild, [[ALICE, 'the cat sat']]);
        expect(await services.complete(guild, 'the', 25)).toEqual([]);
        expect(await services.complete(guild, '', 25)).toEqual([]);
      });

      it('asks for start words before generating', async () => {
        expect(await services.generate(freshGuild(), ' \u200b ', 5, 1)).toEqual({ status: 'empty_input' });
      });
    });
  });
}
