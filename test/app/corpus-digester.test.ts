import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorpusDigester } from '../../src/app/corpus-digester.ts';
import { EXAMPLE_SAMPLE_SIZE, MIN_EXAMPLE_WORDS, digestCorpus, type CorpusDigest } from '../../src/explain/corpus-digest.ts';
import { KneserNeyTrigram } from '../../src/lm/kneser-ney.ts';
import { Random } from '../../src/lm/random.ts';
import { UNK } from '../../src/lm/special-tokens.ts';
import { Vocabulary } from '../../src/lm/vocabulary.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { sentence, useTempStores } from '../store/helpers.ts';

const stores = useTempStores();
const GUILD = 'g';

/** Sentences of 1 to 12 words over a Zipf-like word list, so some words stay out of the vocabulary. */
function randomCorpus(count: number, seed: number): string[][] {
  const random = new Random(seed);
  const words = Array.from({ length: 400 }, (_, index) => `w${index}`);
  return Array.from({ length: count }, (_, index) => {
    const length = 1 + Math.floor(random.next() * 12);
    // Distinct sentences: the store keeps each sentence once.
    return [...Array.from({ length }, () => words[Math.floor(words.length * random.next() ** 3)]!), `#${index}`];
  });
}

function teach(store: Store, sentences: readonly string[][], guildId = GUILD): void {
  store.addSentences(sentences.map((tokens) => sentence(guildId, 'member', tokens.join(' '))));
}

/** Digests one guild's corpus with a digester of its own, closed afterwards. */
async function digestGuildCorpus(store: Store, guildId: string, vocabulary: Vocabulary): Promise<CorpusDigest> {
  const digester = new CorpusDigester(store);
  try {
    return await digester.digest(guildId, vocabulary);
  } finally {
    await digester.close();
  }
}

describe('digesting a guild corpus in a worker thread', () => {
  const corpus = randomCorpus(3_000, 1);
  const vocabulary = Vocabulary.build(corpus, { minCount: 3, maxSize: 300 });

  it('gives exactly the 3-gram that training on the encoded sentences gives', async () => {
    const store = stores.open();
    teach(store, corpus);
    const digest = await digestGuildCorpus(store, GUILD, vocabulary);

    const encoded = corpus.map((tokens) => vocabulary.encode(tokens).ids);
    const trained = KneserNeyTrigram.train(encoded, vocabulary.size);
    const counted = KneserNeyTrigram.fromState(digest.trigram);
    expect(counted.discounts).toEqual(trained.discounts);
    const contexts = [[], [UNK], [UNK, UNK], ...encoded.slice(0, 200).flatMap((ids) => ids.map((_, end) => ids.slice(Math.max(0, end - 2), end + 1)))];
    for (const context of contexts) expect(counted.distribution(context)).toEqual(trained.distribution(context));
  });

  it('reports the corpus facts, and the same ones when counted in this thread for an in-memory store', async () => {
    const onFile = stores.open();
    const inMemory = openStore(':memory:');
    try {
      for (const store of [onFile, inMemory]) teach(store, corpus);
      const fromWorker = await digestGuildCorpus(onFile, GUILD, vocabulary);
      const inThread = await digestGuildCorpus(inMemory, GUILD, vocabulary);

      const unknown = new Map<string, number>();
      for (const token of corpus.flat()) if (!vocabulary.has(token)) unknown.set(token, (unknown.get(token) ?? 0) + 1);
      for (const digest of [fromWorker, inThread]) {
        expect(digest.sentences).toBe(corpus.length);
        expect(digest.tokens).toBe(corpus.flat().length);
        expect(digest.unknownCounts).toEqual(unknown);
        expectExamplesFrom(digest, onFile);
      }
      expect(inThread.trigram).toEqual(fromWorker.trigram);
    } finally {
      inMemory.close();
    }
  });

  it('rejects when the worker cannot read the corpus', async () => {
    const dir = stores.tempDir();
    const store = stores.open(path.join(dir, 'bot.sqlite'));
    fs.rmSync(dir, { recursive: true, force: true });
    await expect(digestGuildCorpus(store, GUILD, vocabulary)).rejects.toThrow(/worker thread failed: cannot open the store/);
  });

  it('digests every guild of a busy bot in the threads of a small pool, reused from one guild to the next', async () => {
    const store = stores.open();
    const guilds = Array.from({ length: 12 }, (_, index) => `guild-${index}`);
    guilds.forEach((guildId, index) => teach(store, corpus.slice(index * 50, index * 50 + 50), guildId));
    const digester = new CorpusDigester(store, { threads: 2 });
    try {
      const digests = await Promise.all(guilds.map((guildId) => digester.digest(guildId, vocabulary)));
      expect(digests.map((digest) => digest.sentences)).toEqual(guilds.map(() => 50));
      expect(digester.threadsStarted).toBe(2);
    } finally {
      await digester.close();
    }
  });
});

/** Every example is a stored sentence of the guild, long enough, whose first words the vocabulary knows. */
function expectExamplesFrom(digest: CorpusDigest, store: Store): void {
  expect(digest.examples.length).toBeGreaterThan(0);
  for (const example of digest.examples) {
    expect(store.getSentence(GUILD, example.id)?.tokens).toEqual(example.tokens);
    expect(example.tokens.length).toBeGreaterThan(MIN_EXAMPLE_WORDS);
  }
}

describe('digestCorpus', () => {
  const vocabulary = Vocabulary.build([['the', 'cat', 'sat', 'down']], { minCount: 1, maxSize: 10 });

  it('samples at most a fixed number of examples, uniformly among the sentences that can serve', () => {
    const sentences = Array.from({ length: 3 * EXAMPLE_SAMPLE_SIZE }, (_, id) => ({
      id,
      // Every third sentence starts with an unknown word, and cannot serve as an example.
      tokens: id % 3 === 0 ? ['zebra', 'cat', 'sat', 'down'] : ['the', 'cat', 'sat', 'down'],
    }));
    const { examples } = digestCorpus(sentences, vocabulary, () => 0.5);
    expect(examples).toHaveLength(EXAMPLE_SAMPLE_SIZE);
    expect(new Set(examples.map((example) => example.id)).size).toBe(EXAMPLE_SAMPLE_SIZE);
    expect(examples.every((example) => example.id % 3 !== 0)).toBe(true);
    // Later candidates replace earlier ones: the sample is not just the first sentences.
    expect(Math.max(...examples.map((example) => example.id))).toBeGreaterThan(EXAMPLE_SAMPLE_SIZE * 1.5);
  });

  it('counts a token spelled like a special token as unknown, and skips empty sentences', () => {
    const digest = digestCorpus(
      [
        { id: 1, tokens: ['the', '<s>'] },
        { id: 2, tokens: [] },
      ],
      vocabulary,
    );
    expect(digest).toMatchObject({ sentences: 2, tokens: 2, unknownCounts: new Map() });
    const expected = KneserNeyTrigram.trainWithUnknownWords([[vocabulary.idOf('the'), UNK]], vocabulary.size);
    expect(KneserNeyTrigram.fromState(digest.trigram).distribution([vocabulary.idOf('the')])).toEqual(
      expected.distribution([vocabulary.idOf('the')]),
    );
  });
});
