/**
 * `/explain`: the limitations of RNNs, measured on the model that serves the server, for the
 * words the member typed (or an example from the server's sentences), as pages of Discord text
 * and an optional chart.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { activeBackend } from '../lm/backend.ts';
import { compareWithFixedWindow } from '../lm/explain/fixed-window.ts';
import { stepGradients, type StepGradients } from '../lm/explain/gradients.ts';
import { contextIds, explainedInput, type ExplainedInput } from '../lm/explain/input.ts';
import { occlusion, type Occlusion } from '../lm/explain/occlusion.ts';
import { rareAndUnknownWords } from '../lm/explain/rare-words.ts';
import { timeForwardPasses } from '../lm/explain/timing.ts';
import { KneserNeyTrigram } from '../lm/kneser-ney.ts';
import type { LstmLanguageModel } from '../lm/model.ts';
import { predictNextWords, type LanguageModel } from '../lm/predict.ts';
import type { GeometricWeights, ServedKind } from '../lm/served-model.ts';
import type { FrequencyWeights } from '../lm/frequency-weights.ts';
import { detokenize, tokenize } from '../lm/tokenizer.ts';
import { Vocabulary } from '../lm/vocabulary.ts';
import { messagesFor } from '../i18n/index.ts';
import { inlineCode } from '../text/markdown.ts';
import { percent } from '../text/percent.ts';
import { renderInfluenceChart } from './chart.ts';
import { MIN_EXAMPLE_WORDS, type CorpusDigest, type CorpusSentence } from './corpus-digest.ts';
import { positionLabel, wordNumbers } from './format.ts';
import { explainMessages } from './i18n/index.ts';
import { paginate, type Section } from './pages.ts';
import { memorySection } from './sections/memory.ts';
import { overviewSection, type OverviewExample } from './sections/overview.ts';
import { sequentialSection, TIMED_LENGTHS, TIMING_REPEATS } from './sections/sequential.ts';
import { unknownSection } from './sections/unknown.ts';
import { vanishingSection } from './sections/vanishing.ts';
import { windowSection } from './sections/window.ts';
import { applicableTopics, RARE_BELOW, type ExplainTopic } from './topics.ts';

/**
 * The model being explained: the serving model's network, vocabulary and version, and what answers
 * `/predict` (the network alone, the 3-gram, or their mixture).
 */
export interface ExplainedModel {
  lstm: LstmLanguageModel;
  vocabulary: Vocabulary;
  version: number;
  kind: ServedKind;
  /** The LSTM's weight in a linear mixture (1 for the LSTM alone, 0 for the 3-gram alone). */
  lstmWeight: number;
  /** The exponents when a geometric mixture answers, else null. */
  geometric: GeometricWeights | null;
  /** λ by word frequency when the linear mixture that answers weighs its parts so, else null. */
  frequencyWeights: FrequencyWeights | null;
  /** The model that answers `/predict`. */
  language: LanguageModel;
}

/** What {@link buildExplanation} explains. */
export interface ExplanationRequest {
  serving: ExplainedModel;
  /** The server's corpus in the serving vocabulary: for the 3-gram, corpus counts and the live example. */
  corpus: CorpusDigest;
  /** The member's words; without them, an example from the corpus is explained. */
  text?: string;
  /** One section only; default: every section that applies to the text (an overview without text). */
  topic?: ExplainTopic;
  /** Discord locale of the member. */
  locale: string;
  /** Picks the example among `corpus.examples`, uniform in [0, 1); default `Math.random`. */
  random?: () => number;
  /** Whether to render the influence chart when the memory section is shown; default true. */
  chart?: boolean;
}

/** What {@link buildExplanation} produces. */
export interface Explanation {
  /** Message texts, each at most 2,000 characters. */
  pages: string[];
  /** PNG of the per-position influence, when the memory section is shown. */
  chart?: Buffer;
  /** The sections shown, in order (empty for the overview). */
  topics: ExplainTopic[];
}

/** Sections that take apart one prediction, and so need a word the model knows. */
const NEEDS_PREDICTION: readonly ExplainTopic[] = ['memory', 'vanishing', 'window'];

/**
 * Measures and explains. Every figure is computed for this call; the timing section dominates
 * the cost (a few hundred milliseconds on a 5,000-word model).
 */
export async function buildExplanation(request: ExplanationRequest): Promise<Explanation> {
  const { serving, corpus, locale } = request;
  const { lstm, vocabulary } = serving;
  const m = explainMessages(locale);
  const random = request.random ?? Math.random;
  const trigram = once(() => KneserNeyTrigram.fromState(corpus.trigram));
  const footer = m.footer(serving.version);
  const typed = tokenize(request.text ?? '').tokens;
  const notes: string[] = [];

  let tokens = typed;
  if (typed.length === 0) {
    const example = pickExample(corpus.examples, vocabulary, lstm.hyperparameters.contextLength, random);
    if (request.topic === undefined || example === null) {
      const measuredExample = example === null ? null : measureExample(example, lstm, vocabulary, corpus, trigram);
      const section = overviewSection(m, vocabulary, measuredExample, {
        contextLength: lstm.hyperparameters.contextLength,
        vocabularyWords: vocabulary.size - Vocabulary.specialCount,
        unknownShare: corpus.tokens === 0 ? null : unknownTokens(corpus) / corpus.tokens,
      });
      const answered = measuredExample === null ? null : answeredByNote(serving, measuredExample.input, locale);
      if (answered !== null) section.blocks.unshift(answered);
      return { pages: paginate([section], footer), topics: [] };
    }
    tokens = example.tokens;
    notes.push(m.exampleNote(inlineCode(detokenize(tokens))));
  }

  const input = explainedInput(lstm, vocabulary, tokens);
  const answered = input === null ? null : answeredByNote(serving, input, locale);
  if (answered !== null) notes.push(answered);
  const weak = rareAndUnknownWords(lstm, vocabulary, tokens, { rareBelow: RARE_BELOW, count: 3 });
  let topics = request.topic === undefined ? applicableTopics(input, weak.words.length) : [request.topic];
  if (input === null && topics.some((topic) => NEEDS_PREDICTION.includes(topic))) {
    notes.push(m.allUnknown);
    topics = ['unknown'];
  }

  const measured = once(() => {
    const target = input as ExplainedInput;
    return { hidden: occlusion(lstm, contextIds(target), target.targetId), gradients: stepGradients(lstm, contextIds(target), target.targetId) };
  });
  const sections: Section[] = topics.map((topic) => {
    switch (topic) {
      case 'memory':
        return memorySection(m, vocabulary, input!, measured().hidden, measured().gradients, {
          contextLength: lstm.hyperparameters.contextLength,
          chart: request.chart !== false,
        });
      case 'vanishing':
        return vanishingSection(m, vocabulary, input!, measured().gradients, lstm.hyperparameters.clipNorm);
      case 'sequential':
        return sequentialSection(m, timeForwardPasses(lstm, TIMED_LENGTHS, TIMING_REPEATS, input === null ? undefined : contextIds(input)), {
          backend: activeBackend() ?? tf.getBackend(),
          contextLength: lstm.hyperparameters.contextLength,
        });
      case 'unknown':
        return unknownSection(m, {
          weak,
          rareBelow: RARE_BELOW,
          vocabularyWords: vocabulary.size - Vocabulary.specialCount,
          corpusUnknown: { unknown: unknownTokens(corpus), total: corpus.tokens },
          corpusCounts: corpus.unknownCounts,
        });
      case 'window':
        // A 3-gram of no sentences would only show its uniform floor.
        if (corpus.sentences === 0) return { title: m.titles.window, blocks: [m.window.noCorpus] };
        return windowSection(m, input!, compareWithFixedWindow(lstm, trigram(), vocabulary, contextIds(input!), 3));
    }
  });
  if (notes.length > 0 && sections[0] !== undefined) sections[0].blocks.unshift(notes.join('\n'));

  const chart =
    input !== null && topics.includes('memory') && request.chart !== false
      ? await influenceChart(input, measured().hidden, measured().gradients, vocabulary, locale)
      : undefined;
  return { pages: paginate(sections, footer), ...(chart === undefined ? {} : { chart }), topics };
}

/**
 * When `/predict` is not answered by the LSTM alone, what it answers for this input beside what the
 * LSTM alone predicts, which is what the measurements take apart; null when the LSTM answers.
 */
function answeredByNote(serving: ExplainedModel, input: ExplainedInput, locale: string): string | null {
  if (serving.kind === 'lstm') return null;
  const answer = predictNextWords(serving.language, detokenize(input.tokens), 1);
  const top = answer.status === 'ok' ? answer.predictions[0] : undefined;
  if (top === undefined) return null;
  return explainMessages(locale).answeredBy(
    messagesFor(locale).common.modelKind(serving),
    inlineCode(top.word),
    percent(top.probability),
    inlineCode(serving.vocabulary.tokenOf(input.targetId)),
    percent(input.targetProbability),
  );
}

/** A corpus sentence cut before one of its words: the example's tokens and the word that follows. */
interface Example {
  tokens: string[];
  actualNext: string;
}

/**
 * A random example from the corpus's example sentences, cut in its second half so the example
 * has some length, within the model's context, before a word the model does not know.
 */
function pickExample(candidates: readonly CorpusSentence[], vocabulary: Vocabulary, contextLength: number, random: () => number): Example | null {
  if (candidates.length === 0) return null;
  const sentence = candidates[Math.floor(random() * candidates.length)]!.tokens;
  const usable = Math.min(sentence.length - 1, contextLength - 1);
  let known = MIN_EXAMPLE_WORDS;
  while (known < usable && vocabulary.has(sentence[known]!)) known += 1;
  const shortest = Math.max(MIN_EXAMPLE_WORDS, Math.ceil(known / 2));
  const cut = shortest + Math.floor(random() * (known - shortest + 1));
  return { tokens: sentence.slice(0, cut), actualNext: sentence[cut]! };
}

function measureExample(
  example: Example,
  lstm: LstmLanguageModel,
  vocabulary: Vocabulary,
  corpus: CorpusDigest,
  trigram: () => KneserNeyTrigram,
): OverviewExample | null {
  const input = explainedInput(lstm, vocabulary, example.tokens);
  if (input === null) return null;
  const ids = contextIds(input);
  return {
    input,
    actualNext: example.actualNext,
    occlusion: occlusion(lstm, ids, input.targetId),
    gradients: stepGradients(lstm, ids, input.targetId),
    ...(corpus.sentences === 0 ? {} : { comparison: compareWithFixedWindow(lstm, trigram(), vocabulary, ids, 3) }),
  };
}

function influenceChart(
  input: ExplainedInput,
  hidden: Occlusion,
  gradients: StepGradients,
  vocabulary: Vocabulary,
  locale: string,
): Promise<Buffer> {
  const numbers = wordNumbers(input.positions);
  const drops = new Map(hidden.effects.map((effect) => [effect.position, -effect.change * 100]));
  return renderInfluenceChart(
    input.positions.map((position, index) => ({
      label: positionLabel(position, numbers[index]!),
      occlusionDrop: drops.get(index) ?? null,
      gradientNorm: gradients.embedding[index]!,
    })),
    vocabulary.tokenOf(input.targetId),
    locale,
  );
}

/** Occurrences of words the vocabulary does not know in the corpus. */
function unknownTokens(corpus: CorpusDigest): number {
  let unknown = 0;
  for (const count of corpus.unknownCounts.values()) unknown += count;
  return unknown;
}

/** A function that runs `compute` on its first call and returns that result from then on. */
function once<T>(compute: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value;
  };
}
