import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestCorpus, type CorpusDigest } from '../../src/explain/corpus-digest.ts';
import { buildExplanation, type ExplanationRequest } from '../../src/explain/explanation.ts';
import { codeBlocks, paginate } from '../../src/explain/pages.ts';
import { initBackend } from '../../src/lm/backend.ts';
import { contextIds, explainedInput } from '../../src/lm/explain/input.ts';
import { occlusion } from '../../src/lm/explain/occlusion.ts';
import { KneserNeyTrigram } from '../../src/lm/kneser-ney.ts';
import { lstmNextWordModel, predictNextWords } from '../../src/lm/predict.ts';
import { geometricNextWordModel, kneserNeyNextWordModel, mixtureNextWordModel } from '../../src/lm/served-model.ts';
import { DISCORD_LIMITS } from '../../src/text/limits.ts';
import { percent } from '../../src/text/percent.ts';
import { corpusSentences, trainFixture, type TrainedFixture } from './fixture.ts';

let fixture: TrainedFixture;
let corpus: CorpusDigest;
let emptyCorpus: CorpusDigest;

beforeAll(async () => {
  await initBackend('wasm');
  fixture = await trainFixture();
  corpus = digestCorpus(corpusSentences.map((tokens, id) => ({ id, tokens })), fixture.vocabulary);
  emptyCorpus = digestCorpus([], fixture.vocabulary);
});

afterAll(() => fixture.model.dispose());

function request(overrides: Partial<ExplanationRequest>): ExplanationRequest {
  return {
    serving: {
      lstm: fixture.model,
      vocabulary: fixture.vocabulary,
      version: 7,
      kind: 'lstm',
      lstmWeight: 1,
      geometric: null,
      frequencyWeights: null,
      language: { model: lstmNextWordModel(fixture.model), vocabulary: fixture.vocabulary },
    },
    corpus,
    locale: 'en-US',
    chart: false,
    ...overrides,
  };
}

const LONG_TEXT = 'the cat we met near the river and a zebra saw the dog';

describe('buildExplanation', () => {
  it('keeps every page within one Discord message, numbered, with the model version', async () => {
    const { pages } = await buildExplanation(request({ text: LONG_TEXT }));
    expect(pages.length).toBeGreaterThan(1);
    pages.forEach((page, index) => {
      expect(page.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
      expect(page).toContain('v7');
      expect(page.trimEnd().endsWith(`${index + 1}/${pages.length}`)).toBe(true);
    });
  });

  it('shows the sections that apply to the text', async () => {
    expect((await buildExplanation(request({ text: LONG_TEXT }))).topics).toEqual(['memory', 'vanishing', 'sequential', 'unknown', 'window']);
    // Two common words: nothing beyond the trigram's window, too short for gradients or timing.
    expect((await buildExplanation(request({ text: 'the cat' }))).topics).toEqual(['memory']);
  });

  it('explains only the requested topic', async () => {
    const { topics, pages } = await buildExplanation(request({ text: LONG_TEXT, topic: 'window' }));
    expect(topics).toEqual(['window']);
    expect(pages.join('\n')).toContain('3-gram');
    expect(pages.join('\n')).not.toContain('Occlusion');
  });

  it('shows the probabilities occlusion measures for this input', async () => {
    const text = 'the cat we met near the river';
    const { pages } = await buildExplanation(request({ text, topic: 'memory' }));
    const input = explainedInput(fixture.model, fixture.vocabulary, text.split(' '))!;
    const measured = occlusion(fixture.model, contextIds(input), input.targetId);
    const all = pages.join('\n');
    expect(all).toContain(percent(measured.baseline));
    for (const effect of measured.effects) {
      const row = all.split('\n').find((line) => line.startsWith(`${effect.position} ${input.positions[effect.position]!.token} `));
      expect(row).toContain(`→ ${percent(effect.probability)}`);
    }
  });

  it('names the unknown and rare words of the input', async () => {
    const { pages } = await buildExplanation(request({ text: 'a bird and a zebra', topic: 'unknown' }));
    const all = pages.join('\n');
    expect(all).toMatch(/`zebra`: unknown/);
    expect(all).toMatch(/`bird`: seen 1 time/);
    expect(all).not.toMatch(/`the`:/);
  });

  it('explains unknown words only when no word of the input is known', async () => {
    const { topics, pages } = await buildExplanation(request({ text: 'zebra okapi', topic: 'memory' }));
    expect(topics).toEqual(['unknown']);
    expect(pages[0]).toContain('None of these words is in the vocabulary');
  });

  it('speaks Simplified and Traditional Chinese by locale', async () => {
    const simplified = (await buildExplanation(request({ text: LONG_TEXT, topic: 'vanishing', locale: 'zh-CN' }))).pages.join('\n');
    const traditional = (await buildExplanation(request({ text: LONG_TEXT, topic: 'vanishing', locale: 'zh-TW' }))).pages.join('\n');
    expect(simplified).toContain('梯度消失');
    expect(simplified).toContain('隐藏状态');
    expect(traditional).toContain('隱藏狀態');
  });

  it('gives an overview with a live example from the corpus when no text is given', async () => {
    const { pages, topics } = await buildExplanation(request({ random: () => 0 }));
    expect(topics).toEqual([]);
    expect(pages).toHaveLength(1);
    // random() = 0 picks the first eligible sentence and the shortest cut: its first four words.
    expect(pages[0]).toContain('`the cat we met`');
    expect(pages[0]).toContain('goes on with `near`');
  });

  it('says when the 3-gram or a mixture answers /predict, with what the LSTM alone predicts beside it', async () => {
    const trigram = kneserNeyNextWordModel(KneserNeyTrigram.fromState(corpus.trigram));
    const mixture = mixtureNextWordModel(lstmNextWordModel(fixture.model), trigram, 0.3);
    const exponents = { lstmExponent: 0.4, kneserNeyExponent: 0.8 };
    const geometricMixture = geometricNextWordModel(lstmNextWordModel(fixture.model), trigram, exponents);
    const text = 'the cat we met near the';
    const lstmTop = explainedInput(fixture.model, fixture.vocabulary, text.split(' '))!;
    for (const [kind, model, geometric, name] of [
      ['kneser-ney', trigram, null, 'n-gram'],
      ['mix', mixture, null, 'LSTM + 3-gram, λ 0.3'],
      ['mix', geometricMixture, exponents, 'LSTM × 3-gram, exponents 0.4 / 0.8'],
    ] as const) {
      const language = { model, vocabulary: fixture.vocabulary };
      const answer = predictNextWords(language, text, 1);
      const top = answer.status === 'ok' ? answer.predictions[0]! : undefined;
      const serving = { ...request({}).serving, kind, lstmWeight: kind === 'mix' ? 0.3 : 0, geometric, language };
      const note = `\`/predict\` is answered by the ${name}, which predicts \`${top!.word}\` (${percent(top!.probability)}) here; what follows takes apart the LSTM alone, which predicts \`${fixture.vocabulary.tokenOf(lstmTop.targetId)}\` (${percent(lstmTop.targetProbability)}).`;
      expect((await buildExplanation(request({ serving, text }))).pages[0]).toContain(note);
      // The overview says it of its example too.
      expect((await buildExplanation(request({ serving, random: () => 0 }))).pages[0]).toContain(`answered by the ${name}`);
    }
    // When the LSTM answers, there is nothing to say.
    expect((await buildExplanation(request({ text }))).pages.join('\n')).not.toContain('answered by');
  });

  it('explains a corpus example when only a topic is given', async () => {
    const { pages, topics } = await buildExplanation(request({ topic: 'vanishing', random: () => 0.99 }));
    expect(topics).toEqual(['vanishing']);
    expect(pages[0]).toContain('No text given');
  });

  it('gives an overview without an example when the corpus has no usable sentence', async () => {
    const { pages } = await buildExplanation(request({ corpus: emptyCorpus }));
    expect(pages[0]).toContain('no sentence long enough');
  });

  it('has no 3-gram to compare with when the corpus is empty', async () => {
    const { pages } = await buildExplanation(request({ text: LONG_TEXT, topic: 'window', corpus: emptyCorpus }));
    expect(pages[0]).toContain('no sentences left');
    expect(pages[0]).not.toContain('│');
  });

  it('attaches a PNG chart of the per-position influence when the memory section is shown', async () => {
    const { chart } = await buildExplanation(request({ text: 'the dog we met near the river', chart: true }));
    expect(chart).toBeDefined();
    expect(chart!.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect([chart!.readUInt32BE(16), chart!.readUInt32BE(20)]).toEqual([900, 450]);
    expect((await buildExplanation(request({ text: LONG_TEXT, topic: 'window', chart: true }))).chart).toBeUndefined();
  });

  it('leaves no tensors behind', async () => {
    await buildExplanation(request({ text: LONG_TEXT }));
    const before = tf.memory().numTensors;
    await buildExplanation(request({ text: LONG_TEXT, chart: true }));
    await buildExplanation(request({}));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('pagination', () => {
  it('spreads a long section over pages without splitting a block, each page titled and within the limit', () => {
    const table = codeBlocks(Array.from({ length: 120 }, (_, i) => `row ${i} ${'█'.repeat(20)}`));
    const prose = 'A paragraph of explanation. '.repeat(20);
    const pages = paginate([{ title: 'Section', blocks: [prose, ...table, prose] }], '-# footer');
    expect(pages.length).toBeGreaterThan(2);
    for (const page of pages) {
      expect(page.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
      expect(page.startsWith('**Section**')).toBe(true);
      expect((page.match(/```/g) ?? []).length % 2).toBe(0);
    }
    const rows = pages.join('\n').match(/row \d+/g);
    expect(rows).toEqual(Array.from({ length: 120 }, (_, i) => `row ${i}`));
  });
});
