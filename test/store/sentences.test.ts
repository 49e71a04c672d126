import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SEARCH_SQL } from '../../src/store/sentences.ts';
import { describeEachBackend, sentence, useTempStores } from './helpers.ts';

const { tempDir, open: openFile } = useTempStores();

describeEachBackend('sentences', ({ open }) => {
  it('stores a sentence with its tokens and metadata', () => {
    const store = open();
    const taughtAt = 1_700_000_000_000;
    const result = store.addSentence(
      sentence('g1', 'u1', '我 喜欢 小狗', { interactionId: 'i-42', createdAt: taughtAt }),
    );
    if (result.status !== 'added') throw new Error('expected the sentence to be added');

    expect(store.getSentence('g1', result.id)).toEqual({
      id: result.id,
      guildId: 'g1',
      channelId: 'channel-1',
      authorId: 'u1',
      text: '我 喜欢 小狗',
      tokens: ['我', '喜欢', '小狗'],
      dedupeKey: '我 喜欢 小狗',
      source: 'discord',
      interactionId: 'i-42',
      createdAt: taughtAt,
    });
  });

  it('refuses a duplicate sentence in the same guild and names the existing one', () => {
    const store = open();
    const first = store.addSentence(sentence('g1', 'u1', 'rain falls softly'));
    const again = store.addSentence(sentence('g1', 'u2', 'rain  falls softly'));

    if (first.status !== 'added') throw new Error('expected the sentence to be added');
    expect(again).toEqual({ status: 'duplicate', existingId: first.id });
    expect(store.countSentences('g1')).toBe(1);
    expect(store.corpusRevision('g1')).toBe(1);
  });

  it('accepts the same sentence in another guild', () => {
    const store = open();
    expect(store.addSentence(sentence('g1', 'u1', 'rain falls softly')).status).toBe('added');
    expect(store.addSentence(sentence('g2', 'u1', 'rain falls softly')).status).toBe('added');
    expect(store.countSentences('g1')).toBe(1);
    expect(store.countSentences('g2')).toBe(1);
  });

  it('keeps guilds apart in reads, counts and deletions', () => {
    const store = open();
    const inG1 = store.addSentence(sentence('g1', 'u1', 'only in the first guild'));
    store.addSentence(sentence('g2', 'u1', 'only in the second guild'));
    store.addSentence(sentence('g2', 'u2', 'another one for the second'));
    if (inG1.status !== 'added') throw new Error('expected the sentence to be added');

    expect(store.getSentence('g2', inG1.id)).toBeUndefined();
    expect(store.deleteSentence('g2', inG1.id)).toBe(false);
    expect(store.getSentence('g1', inG1.id)?.text).toBe('only in the first guild');
    expect(store.corpus('g1').sentences).toEqual([['only', 'in', 'the', 'first', 'guild']]);
    expect(store.countContributors('g1')).toBe(1);
    expect(store.countContributors('g2')).toBe(2);
    expect(store.deleteSentencesByAuthor('g2', 'u1')).toBe(1);
    expect(store.countSentences('g1')).toBe(1);
    expect(store.guildIds()).toEqual(['g1', 'g2']);
  });

  it('moves the corpus revision on every sentence added or removed', () => {
    const store = open();
    expect(store.corpusRevision('g1')).toBe(0);
    const a = store.addSentence(sentence('g1', 'u1', 'one two three'));
    store.addSentence(sentence('g1', 'u1', 'four five six'));
    store.addSentence(sentence('g1', 'u1', 'one two three'));
    expect(store.corpusRevision('g1')).toBe(2);

    const bulk = store.addSentences([
      sentence('g1', 'u2', 'seven eight'),
      sentence('g1', 'u2', 'nine ten'),
      sentence('g1', 'u2', 'seven eight'),
      sentence('g2', 'u2', 'seven eight'),
    ]);
    expect(bulk).toEqual({ added: 3, duplicates: 1 });
    expect(store.corpusRevision('g1')).toBe(4);
    expect(store.corpusRevision('g2')).toBe(1);

    if (a.status !== 'added') throw new Error('expected the sentence to be added');
    expect(store.deleteSentence('g1', a.id)).toBe(true);
    expect(store.deleteSentence('g1', a.id)).toBe(false);
    expect(store.corpusRevision('g1')).toBe(5);
    expect(store.deleteSentencesByAuthor('g1', 'u2')).toBe(2);
    expect(store.corpusRevision('g1')).toBe(7);
    // Nothing deleted, nothing moved.
    expect(store.deleteSentencesByAuthor('g1', 'u2')).toBe(0);
    expect(store.corpusRevision('g1')).toBe(7);
    expect(store.corpus('g1')).toEqual({ revision: 7, sentences: [['four', 'five', 'six']] });
  });

  it('adds a large batch in its order, skipping repeats wherever they fall', () => {
    const store = open();
    store.addSentence(sentence('g1', 'u1', 'line 7'));
    const texts = Array.from({ length: 4_500 }, (_, i) => `line ${i}`);
    // Repeats of a stored sentence, of one earlier in the batch, and across the batch's end.
    const inputs = [...texts, 'line 0', 'line 4499'].map((text) => sentence('g1', 'u1', text));
    expect(store.addSentences(inputs)).toEqual({ added: 4_499, duplicates: 3 });
    expect(store.corpusRevision('g1')).toBe(4_500);
    const expected = ['line 7', ...texts.filter((text) => text !== 'line 7')].map((text) => text.split(' '));
    expect(store.corpus('g1').sentences).toEqual(expected);
  });

  it('tells which of some sentence ids are still sentences of the guild', () => {
    const store = open();
    const [kept, deleted] = ['one two', 'three four'].map((text) => {
      const added = store.addSentence(sentence('g', 'u1', text));
      return added.status === 'added' ? added.id : -1;
    }) as [number, number];
    const other = store.addSentence(sentence('h', 'u1', 'five six'));
    store.deleteSentence('g', deleted);
    expect(store.presentSentenceIds('g', [kept, deleted, other.status === 'added' ? other.id : -1, 999])).toEqual(new Set([kept]));
    expect(store.presentSentenceIds('g', [])).toEqual(new Set());
  });

  it('lets a member delete only their own sentences', () => {
    const store = open();
    const mine = store.addSentence(sentence('g1', 'alice', 'alice wrote this'));
    const theirs = store.addSentence(sentence('g1', 'bob', 'bob wrote that'));
    if (mine.status !== 'added' || theirs.status !== 'added') throw new Error('expected adds');

    expect(store.deleteSentence('g1', theirs.id, { authorId: 'alice' })).toBe(false);
    expect(store.getSentence('g1', theirs.id)).toBeDefined();
    expect(store.deleteSentence('g1', mine.id, { authorId: 'alice' })).toBe(true);
    expect(store.getSentence('g1', mine.id)).toBeUndefined();
    // Without an author restriction (moderators) any sentence of the guild can go.
    expect(store.deleteSentence('g1', theirs.id)).toBe(true);
    expect(store.countSentences('g1')).toBe(0);
  });


  it('rolls back a whole batch when one sentence is invalid', () => {
    const store = open();
    const invalid = { ...sentence('g1', 'u1', 'bad source'), source: 'email' as 'import' };
    expect(() =>
      store.addSentences([sentence('g1', 'u1', 'fine sentence'), invalid]),
    ).toThrow(/CHECK constraint/i);
    expect(store.countSentences('g1')).toBe(0);
    expect(store.corpusRevision('g1')).toBe(0);
  });

  it('lists sentences newest first in pages, with the total, optionally per member', () => {
    const store = open();
    const texts = ['w0 x', 'w1 x', 'w2 x', 'w3 x', 'w4 x', 'w5 x', 'w6 x'];
    texts.forEach((text, i) => {
      store.addSentence(sentence('g1', i % 2 === 0 ? 'even' : 'odd', text));
    });

    const first = store.listSentences('g1', { limit: 3 });
    expect(first.total).toBe(7);
    expect(first.sentences.map((s) => s.text)).toEqual(['w6 x', 'w5 x', 'w4 x']);
    const last = store.listSentences('g1', { limit: 3, offset: 6 });
    expect(last.sentences.map((s) => s.text)).toEqual(['w0 x']);

    const odd = store.listSentences('g1', { authorId: 'odd', limit: 10 });
    expect(odd.total).toBe(3);
    expect(odd.sentences.map((s) => s.text)).toEqual(['w5 x', 'w3 x', 'w1 x']);
    expect(store.listSentences('g2', { limit: 10 })).toEqual({ total: 0, sentences: [] });
  });

  it('finds a member’s own sentences for autocomplete, prefix matches first', () => {
    const store = open();
    store.addSentence(sentence('g1', 'u1', 'the dog barks'));
    store.addSentence(sentence('g1', 'u1', 'dogs love walks'));
    store.addSentence(sentence('g1', 'u1', 'a hot dog'));
    store.addSentence(sentence('g1', 'u2', 'dog of someone else'));
    store.addSentence(sentence('g1', 'u1', 'cats ignore everyone'));
    store.addSentence(sentence('g1', 'u1', '100% sure'));

    const texts = (query: string, limit = 10): string[] =>
      store.searchSentences('g1', 'u1', query, limit).map((s) => s.text);
    expect(texts('dog')).toEqual(['dogs love walks', 'a hot dog', 'the dog barks']);
    expect(texts('DOG', 1)).toEqual(['dogs love walks']);
    // Wildcards typed by a member are plain characters.
    expect(texts('%')).toEqual(['100% sure']);
    expect(texts('_')).toEqual([]);
    expect(texts('')).toHaveLength(5);
    // Without an author (a moderator), every member's sentences match.
    expect(store.searchSentences('g1', undefined, 'dog', 10).map((s) => s.text)).toContain('dog of someone else');
  });
});

describe('sentences in a SQLite file', () => {
  const open = openFile;
  it('leaves no trace of a deleted sentence in the database files', () => {
    const file = path.join(tempDir(), 'bot.sqlite');
    const store = open(file);
    const secret = 'zebracorn whispers a private thought';
    store.addSentence(sentence('g1', 'u1', 'a sentence that stays'));
    store.addSentence(sentence('g1', 'leaving', secret));
    const contains = (needle: string): boolean =>
      ['', '-wal'].some((suffix) => {
        const bytes = fs.readFileSync(`${file}${suffix}`, { flag: 'r' });
        return bytes.includes(Buffer.from(needle));
      });
    const checkpoint = (): void => {
      const db = new Database(file);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    };
    checkpoint();
    expect(contains('zebracorn')).toBe(true);

    expect(store.deleteSentencesByAuthor('g1', 'leaving')).toBe(1);
    checkpoint();
    expect(contains('zebracorn')).toBe(false);
    expect(contains('a sentence that stays')).toBe(true);
  });

  it("searches a member's sentences through the author index, not the whole guild", () => {
    const dir = tempDir();
    open(path.join(dir, 'bot.sqlite'));
    const db = new Database(path.join(dir, 'bot.sqlite'), { readonly: true });
    const plan = (sql: string): string =>
      db
        .prepare<Record<string, unknown>, { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all({ guildId: 'g', authorId: 'u', prefix: 'a%', contains: '%a%', limit: 25 })
        .map((row) => row.detail)
        .join('; ');
    try {
      expect(plan(SEARCH_SQL.sqlite.oneAuthor)).toContain('USING INDEX sentences_by_author (guild_id=? AND author_id=?)');
      expect(plan(SEARCH_SQL.sqlite.anyAuthor)).toContain('USING INDEX sentences_by_guild (guild_id=?)');
    } finally {
      db.close();
    }
  });

  it('loads a 100k-sentence corpus in well under a second', () => {
    const store = open();
    const words = ['sun', 'moon', 'star', 'river', 'stone', 'tree', 'wind', 'cloud', '我', '爱'];
    const inputs = Array.from({ length: 100_000 }, (_, i) => {
      // The first word carries the index so that every sentence is distinct.
      const tokens = Array.from(
        { length: 5 + (i % 15) },
        (_, j) => `${words[(i + j) % words.length]}${j === 0 ? i : ''}`,
      );
      return sentence('big', `u${i % 300}`, tokens.join(' '));
    });
    expect(store.addSentences(inputs)).toEqual({ added: 100_000, duplicates: 0 });
    store.addSentence(sentence('other', 'u1', 'not part of it'));

    // CPU time rather than wall time: the work done, undistorted by other processes on the
    // machine competing for its cores.
    const before = process.cpuUsage();
    const corpus = store.corpus('big');
    const { user, system } = process.cpuUsage(before);
    const cpuMs = (user + system) / 1_000;

    expect(corpus.revision).toBe(100_000);
    expect(corpus.sentences).toHaveLength(100_000);
    expect(corpus.sentences[0]).toEqual(inputs[0]?.tokens);
    expect(corpus.sentences[99_999]).toEqual(inputs[99_999]?.tokens);
    expect(cpuMs).toBeLessThan(1_000);
  });
});
