/**
 * Scenario `corpora`: fetches named corpora (see `bench/corpora/manifest.ts`) and describes
 * corpora the way a modeller needs to read the quality table: sentence lengths, vocabulary, the
 * share of held-out words a 5,000-word vocabulary misses, and the hyperparameters the product's
 * rules (`src/lm/hyperparameters.ts`) choose for each. Nothing is trained.
 *
 * @module
 */
import { importLines } from '../../src/app/corpus-import.ts';
import { defaultHyperparameters, LARGE_CORPUS_TARGET_BUDGET, type Hyperparameters } from '../../src/lm/hyperparameters.ts';
import { UNK } from '../../src/lm/special-tokens.ts';
import { tokenize } from '../../src/lm/tokenizer.ts';
import { Vocabulary } from '../../src/lm/vocabulary.ts';
import { DEFAULT_VOCABULARY } from '../../src/training/job-settings.ts';
import { sizesOption } from '../lib/args.ts';
import { holdOutEveryTenth, loadCorpus, sampleCorpus, type CorpusSize } from '../lib/corpus.ts';
import { markdownTable, percent, round, whole } from '../lib/format.ts';
import { defineScenario } from '../lib/scenario.ts';
import { median, percentile } from '../lib/stats.ts';
import { withTemporaryStore } from '../lib/temporary-store.ts';
import { CORPORA } from '../corpora/manifest.ts';

const GUILD = 'bench';

/** What the product's rules choose for the training sentences of a corpus (the quality scenario's 90%). */
interface TrainingPlan {
  /** Sentences and tokens the training job sees: the imported training split. */
  sentences: number;
  tokens: number;
  vocabularySize: number;
  hyperparameters: Hyperparameters;
  /** Epochs the large-corpus target budget pays for (0 below the large-corpus threshold). */
  budgetEpochs: number;
}

/** Statistics of one corpus at one size. */
interface CorpusStatistics {
  corpus: string;
  size: CorpusSize;
  sentences: number;
  tokens: number;
  /** Word tokens per sentence (product tokenizer). */
  tokensPerSentence: { median: number; p90: number; max: number };
  charactersPerSentence: { median: number; p90: number };
  /** Share of sentences longer than the training context (cut into overlapping windows). */
  longerThanContext: number;
  /** Distinct tokens, their share of all tokens, and the share of them seen only once. */
  types: number;
  typeTokenRatio: number;
  hapaxShare: number;
  /**
   * Share of held-out word tokens (every 10th sentence) missing from the product's vocabulary of
   * the training sentences (the most frequent 5,000 entries).
   */
  heldOutOov: number;
  /** Share of training word tokens that vocabulary covers. */
  trainingCoverage: number;
  plan: TrainingPlan;
}

export default defineScenario({
  summary: 'fetches the named corpora and prints their statistics and the hyperparameters the product would choose (no training)',
  usage: `  --corpus NAME|FILE  a named corpus (bench/corpora/manifest.ts) or a file of one sentence per line;
                      repeat for several (default: every named corpus)
  --sizes LIST        comma-separated sentence counts and/or 'all', sampled as --scenario quality does
                      (default: all)`,
  options: {
    corpus: { type: 'string', multiple: true },
    sizes: { type: 'string' },
  },

  async run(values) {
    const sizes = sizesOption(values.sizes, 'sizes', ['all']);
    const names = values.corpus ?? CORPORA.map((entry) => entry.name);
    const rows: CorpusStatistics[] = [];
    for (const name of names) {
      const corpus = loadCorpus(name, (line) => process.stderr.write(`${line}\n`));
      const distinct = [...new Set(sizes.map((size) => (size === 'all' || size >= corpus.lines.length ? 'all' : size)))];
      for (const size of distinct) rows.push(await describe(corpus.name, size, sampleCorpus(corpus.lines, size)));
    }
    return { result: { sizes, rows }, text: table(rows) };
  },
});

async function describe(corpus: string, size: CorpusSize, lines: readonly string[]): Promise<CorpusStatistics> {
  const sentences = lines.map((line) => tokenize(line).tokens);
  const lengths = sentences.map((tokens) => tokens.length);
  const tokens = lengths.reduce((sum, length) => sum + length, 0);
  const counts = new Map<string, number>();
  for (const sentence of sentences) for (const token of sentence) counts.set(token, (counts.get(token) ?? 0) + 1);
  const hapaxes = [...counts.values()].filter((count) => count === 1).length;
  const { train, heldOut } = holdOutEveryTenth(lines);
  const plan = await trainingPlan(train);
  const vocabulary = Vocabulary.build(
    train.map((line) => tokenize(line).tokens),
    DEFAULT_VOCABULARY,
  );
  return {
    corpus,
    size,
    sentences: lines.length,
    tokens,
    tokensPerSentence: { median: median(lengths), p90: percentile(lengths, 90), max: lengths.reduce((longest, length) => Math.max(longest, length), 0) },
    charactersPerSentence: { median: median(lines.map((line) => [...line].length)), p90: percentile(lines.map((line) => [...line].length), 90) },
    longerThanContext: round(lengths.filter((length) => length > plan.hyperparameters.contextLength).length / lines.length, 4),
    types: counts.size,
    typeTokenRatio: round(counts.size / tokens, 4),
    hapaxShare: round(hapaxes / counts.size, 4),
    heldOutOov: round(unknownShare(vocabulary, heldOut), 4),
    trainingCoverage: round(1 - unknownShare(vocabulary, train), 4),
    plan,
  };
}

/** The training job's view of the training sentences: imported as the product imports them. */
async function trainingPlan(train: readonly string[]): Promise<TrainingPlan> {
  return withTemporaryStore((store) => {
    importLines(store, GUILD, train, { authorId: 'bench', source: 'import' });
    const sentences = store.corpus(GUILD).sentences;
    const tokens = sentences.reduce((sum, sentence) => sum + sentence.length, 0);
    const vocabularySize = Vocabulary.build(sentences, DEFAULT_VOCABULARY).size;
    const hyperparameters = defaultHyperparameters({ sentences: sentences.length, tokens, vocabularySize });
    const large = hyperparameters.weightAveragingStart !== undefined;
    return {
      sentences: sentences.length,
      tokens,
      vocabularySize,
      hyperparameters,
      budgetEpochs: large ? round(LARGE_CORPUS_TARGET_BUDGET / (tokens + sentences.length), 1) : 0,
    };
  });
}

function unknownShare(vocabulary: Vocabulary, lines: readonly string[]): number {
  let words = 0;
  let unknown = 0;
  for (const line of lines) {
    const tokens = tokenize(line).tokens;
    words += tokens.length;
    unknown += vocabulary.encode(tokens).ids.filter((id) => id === UNK).length;
  }
  return words === 0 ? 0 : unknown / words;
}

function table(rows: readonly CorpusStatistics[]): string {
  return markdownTable(
    ['corpus', 'size', 'sentences', 'tokens', 'tokens/sentence median / p90 / max', 'chars median / p90', `> context`, 'types', 'type/token', 'hapax', 'held-out OOV (5k)', 'plan: width, batch, lr', 'epochs planned (budget)', 'dropout out / emb', 'sampled softmax'],
    rows.map((row) => {
      const hp = row.plan.hyperparameters;
      return [
        row.corpus,
        row.size === 'all' ? 'all' : whole(row.size),
        whole(row.sentences),
        whole(row.tokens),
        `${row.tokensPerSentence.median} / ${row.tokensPerSentence.p90} / ${row.tokensPerSentence.max}`,
        `${row.charactersPerSentence.median} / ${row.charactersPerSentence.p90}`,
        percent(row.longerThanContext),
        whole(row.types),
        row.typeTokenRatio.toFixed(3),
        percent(row.hapaxShare),
        percent(row.heldOutOov),
        `E${hp.embeddingSize}/H${hp.hiddenSize}${hp.tiedWeights === true ? ' tied' : ''}, ${hp.batchSize}, ${hp.learningRate}`,
        `${hp.maxEpochs}${row.plan.budgetEpochs > 0 ? ` (${row.plan.budgetEpochs})` : ''}`,
        `${hp.dropout ?? 0} / ${round(hp.embeddingDropout ?? 0, 2)}`,
        hp.sampledSoftmaxSize === undefined ? 'no' : String(hp.sampledSoftmaxSize),
      ];
    }),
  );
}
