import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/lm/backend.ts';
import { PieceEmbeddings } from '../../src/lm/engine/piece-embeddings.ts';
import { readView } from '../../src/lm/engine/tensor-memory.ts';
import { wordPieces } from '../../src/lm/word-pieces.ts';
import { defaultHyperparameters } from '../../src/lm/hyperparameters.ts';
import { BOS, FIRST_WORD_ID } from '../../src/lm/special-tokens.ts';
import { trainLanguageModel } from '../../src/lm/train.ts';
import { Vocabulary } from '../../src/lm/vocabulary.ts';

const SPECIAL = ['<pad>', '<unk>', '<s>', '</s>'];
/** Enough unrelated words (一丁…, each with 子) that a piece of three words is under the share that leaves a piece out. */
const FILLER = Array.from({ length: 60 }, (_, i) => `${String.fromCodePoint(0x4e00 + 3 * i)}子`);

describe('wordPieces', () => {
  it('gives each word the character n-grams it shares with other words', () => {
    const tokens = [...SPECIAL, '猫', '小猫', '猫粮', '喜欢', '欢迎', '我', ...FILLER];
    const { ofWord } = wordPieces(tokens, SPECIAL.length);
    const piecesOf = (word: string): number[] => [...ofWord[tokens.indexOf(word)]!];
    // 猫 is in three words; 欢 in two; 我 and 粮 in one, so they are no piece.
    expect(piecesOf('猫')).toHaveLength(1);
    expect(piecesOf('小猫')).toEqual(piecesOf('猫'));
    expect(piecesOf('猫粮')).toEqual(piecesOf('猫'));
    expect(piecesOf('喜欢')).toEqual(piecesOf('欢迎'));
    expect(piecesOf('我')).toEqual([]);
    for (let id = 0; id < SPECIAL.length; id++) expect(ofWord[id]).toEqual([]);
  });

  it('leaves out a piece more than a twentieth of the words share', () => {
    // 子 ends every filler word.
    const tokens = [...SPECIAL, ...FILLER, '子'];
    const { ofWord } = wordPieces(tokens, SPECIAL.length);
    expect(ofWord.every((pieces) => pieces.length === 0)).toBe(true);
  });

  it('makes pieces of Han characters only, and of each run of them in a word', () => {
    const tokens = [...SPECIAL, 'running', 'runner', 'T恤', '恤衫', 'IT', ...FILLER];
    const { ofWord } = wordPieces(tokens, SPECIAL.length);
    expect(ofWord[tokens.indexOf('running')]).toEqual([]);
    expect(ofWord[tokens.indexOf('runner')]).toEqual([]);
    expect(ofWord[tokens.indexOf('T恤')]).toEqual(ofWord[tokens.indexOf('恤衫')]);
    expect(ofWord[tokens.indexOf('T恤')]).toHaveLength(1);
  });
});

describe('PieceEmbeddings', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it("passes each piece the mean share of its words' gradients, and moves the words with their pieces", () => {
    // Word 0 is made of pieces 0 and 1, word 1 of piece 1, word 2 of none.
    const pieces = new PieceEmbeddings({ count: 2, ofWord: [[0, 1], [1], []] }, 2);
    const gradient = tf.tensor2d([
      [2, 4],
      [10, 20],
      [100, 100],
    ]);
    const fromWords = pieces.gradient(gradient);
    expect(Array.from(readView(fromWords))).toEqual([1, 2, 1 + 10, 2 + 20]);

    const embedding = tf.variable(tf.zeros([3, 2]));
    const before = pieces.snapshot();
    pieces.vectors.assign(tf.tensor2d([
      [2, 0],
      [0, 4],
    ]));
    pieces.addMoves(embedding, before);
    expect(Array.from(readView(embedding))).toEqual([1, 2, 0, 4, 0, 0]);
    tf.dispose([gradient, fromWords, embedding]);
    pieces.dispose();
  });
});

describe('training with word pieces', () => {
  beforeAll(async () => {
    await initBackend();
  });

  /** P(喜欢) − P(讨厌) after 小猫, which the corpus shows once, in a sentence that tells nothing of either. */
  async function leaning(withPieces: boolean): Promise<number> {
    const sentences = [
      ...['鱼', '肉', '玩', '睡觉'].flatMap((thing) => [`猫 喜欢 ${thing} 。`, `狗 讨厌 ${thing} 。`]),
      '小猫 很 小 。',
      '这 只 狗 很 小 。',
      // Words of their own, so that 猫 and 小 stay under the share of words a piece may be in.
      ...FILLER.map((word) => `${word} 。`),
    ].map((sentence) => sentence.split(' '));
    const vocabulary = Vocabulary.build(sentences, { minCount: 1, maxSize: 1000 });
    const ids = sentences.map((sentence) => vocabulary.encode(sentence).ids);
    const hp = defaultHyperparameters({ sentences: ids.length, tokens: ids.flat().length, vocabularySize: vocabulary.size }, { wordPieces: withPieces, maxEpochs: 60 });
    const { model } = await trainLanguageModel({ train: ids, validation: [], wordPieces: wordPieces(vocabulary.toJSON().tokens, FIRST_WORD_ID) }, vocabulary.size, hp);
    try {
      const next = model.nextDistribution([BOS, vocabulary.idOf('小猫')]);
      return Math.log(next[vocabulary.idOf("喜欢")]!) - Math.log(next[vocabulary.idOf("讨厌")]!);
    } finally {
      model.dispose();
    }
  }

  it('carries what a common word predicts to a rare word made of it', async () => {
    const [withPieces, without] = [await leaning(true), await leaning(false)];
    expect(withPieces).toBeGreaterThan(without + 0.1);
  });
});
