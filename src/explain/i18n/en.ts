/**
 * English texts of `/explain`.
 *
 * @module
 */

const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;

const back = (steps: number): string => (steps === 0 ? 'the last word' : `${plural(steps, 'word', 'words')} back`);

/** English texts; the other languages follow this shape. */
export const en = {
  titles: {
    overview: 'How the model reads, and where RNNs fall short',
    memory: 'Memory fades with distance',
    vanishing: 'Vanishing gradients',
    sequential: 'Sequential computation',
    unknown: 'Unknown and rare words',
    window: 'Fixed window vs recurrence',
  },
  topics: {
    memory: 'Memory fades with distance',
    vanishing: 'Vanishing gradients',
    sequential: 'Sequential computation (timing)',
    unknown: 'Unknown and rare words',
    window: 'Fixed window (3-gram) vs recurrence',
  },
  footer: (version: number) => `-# model v${version} · every figure was measured for this request`,
  answeredBy: (model: string, predicted: string, probability: string, lstmPredicted: string, lstmProbability: string) =>
    `\`/predict\` is answered by the ${model}, which predicts ${predicted} (${probability}) here; what follows takes apart the LSTM alone, which predicts ${lstmPredicted} (${lstmProbability}).`,
  exampleNote: (text: string) => `No text given, so this explains an example from this server's sentences: ${text}.`,
  unknownTopic: (topic: string, topics: string) => `There is no topic \`${topic}\`; choose one of ${topics}.`,
  allUnknown: 'None of these words is in the vocabulary, so there is no prediction to take apart.',

  memory: {
    intro: (text: string, target: string, probability: string) =>
      `The model reads ${text} and predicts ${target} (${probability}). Which words does it rely on?`,
    occlusionCaption: (target: string) =>
      `**Occlusion**: each word in turn is replaced by the unknown token and p(${target}) is measured again. ` +
      'The bar is how far it falls; the figure is the new probability (↑: hiding the word raised it).',
    gradientCaption: (target: string) =>
      `**Gradient**: the size of ∂ log p(${target}) / ∂e, the gradient with respect to the vector e of each position. ` +
      'The larger it is, the more a small change of that word would move the prediction.',
    strongest: (word: string, steps: number, drop: string, replacement: string | null) =>
      `Hiding ${word} (${back(steps)}) matters most: ${drop} points less.` +
      (replacement === null ? '' : ` Without it the model would say ${replacement}.`),
    recentShare: (count: number, share: string) => `The last ${count} positions carry ${share} of the summed gradient sizes.`,
    truncated: (tokens: number, contextLength: number, dropped: number) =>
      `Your text has ${tokens} tokens, but the model reads at most ${contextLength}: the first ${dropped} were not read at all.`,
    lesson:
      'Why memory fades: everything the network knows about earlier words must pass through one fixed-size state, ' +
      'rewritten at every word. The LSTM’s gates let it keep what it learned to keep, yet over long inputs the early words usually weigh less.',
    chartNote: 'The attached chart shows both measurements per position.',
  },

  vanishing: {
    intro: (target: string) =>
      `Training improves log p(${target}) by sending its gradient backwards through the steps (backpropagation through time). ` +
      'Size of the gradient that reaches the hidden state h and the cell state c of each step (bars: h):',
    drop: (times: number, word: string, steps: number) =>
      `The gradient on h falls below 1/${times.toLocaleString('en')} of its last-step size at ${word}, ${plural(steps, 'step', 'steps')} back.`,
    noDrop: (steps: number) =>
      `Over these ${steps} steps the gradient on h never falls below a tenth of its last-step size: no order of magnitude is lost on this input.`,
    endToEnd: (word: string, hidden: string, cell: string) =>
      `From the last step back to ${word}, the gradient on h ${hidden}, on c ${cell}.`,
    shrinks: (times: string) => `shrinks by a factor of ${times}`,
    growsBy: (times: string) => `grows by a factor of ${times}`,
    cellKeepsMore:
      'The cell state keeps more of it: from one step to the next, c is only multiplied by the forget gate, the LSTM’s remedy for vanishing gradients.',
    exploding:
      'Some earlier steps receive more than 10 times the last step’s gradient: the opposite problem, exploding gradients.',
    lesson: (clipNorm: string | null) =>
      'Each step back multiplies the gradient by that step’s derivative; factors below 1 make it vanish, above 1 explode. ' +
      'A word whose gradient has vanished barely shapes what the model learns from this sentence.' +
      (clipNorm === null ? '' : ` Training caps the total gradient norm at ${clipNorm} against explosions.`),
  },

  sequential: {
    columns: { length: 'words', forward: 'prediction', sequential: 'in order', batched: 'batched' },
    intro: (repeats: number, backend: string) =>
      `Measured now on this machine (${backend} backend), median of ${repeats} runs, in milliseconds. ` +
      '*prediction*: a whole forward pass over one input of that many words. Then the LSTM alone, doing the same number of cell updates ' +
      'as steps *in order* over that input, and as one *batched* step over that many one-word inputs.',
    perStep: (milliseconds: string, long: number, short: number, ratio: string) =>
      `Each additional word costs about ${milliseconds} ms (least-squares slope); ${long} words take ${ratio} times as long as ${short}.`,
    batchFaster: (updates: number, sequential: string, batched: string, ratio: string) =>
      `${updates} cell updates take ${sequential} ms as steps in order but ${batched} ms as one batched step (${ratio} times faster): ` +
      'step t needs the state of step t−1, so the steps of one text cannot run in parallel.',
    batchNotFaster: (updates: number) =>
      `This time the batched step was not faster than ${updates} steps in order; the machine may be busy, so try again.`,
    lesson: (contextLength: number) =>
      'That is why RNNs scale poorly to long texts and large corpora: the cost grows with the length, and the steps cannot be spread over processors. ' +
      `This model reads at most ${contextLength} words per prediction; training pays the cost for every window of every sentence.`,
    noise: '_The machine is shared with other work, so timings vary between requests._',
  },

  unknown: {
    intro: (words: number, rareBelow: number) =>
      `The model has a vector for each of its ${words} words, and for nothing else. Words of your input it lacks, or saw fewer than ${rareBelow} times in training:`,
    none: 'None: every word of the input is in the vocabulary and was seen often enough.',
    unknownWord: (word: string, corpusCount: number) =>
      `${word}: unknown, read as \`<unk>\`, one vector shared by every unknown word, so the model cannot tell it from any other.` +
      (corpusCount > 0
        ? ` It occurs ${plural(corpusCount, 'time', 'times')} in this server's sentences now: it came after this model was trained, or was too rare for its vocabulary.`
        : ''),
    rareWord: (word: string, count: number) =>
      `${word}: seen ${plural(count, 'time', 'times')}, so its vector was learned from ${count === 1 ? 'a single example' : `only ${count} examples`}.`,
    withThem: (predictions: string) => `Prediction with them: ${predictions}`,
    withoutThem: (predictions: string) => `Without them: ${predictions}`,
    nothingLeft: 'Without them nothing would be left to predict from.',
    corpusShare: (share: string) => `${share} of the words in this server's sentences are outside this model's vocabulary.`,
    lesson:
      'A word-level model has a closed vocabulary, fixed when it is trained: it cannot build a new word from its parts, and rare words get poorly trained vectors.',
  },

  window: {
    intro: (words: number, window: string) =>
      `The Kneser-Ney 3-gram model, counted from this server's sentences, looks through a fixed window: the last two words, ${window}. ` +
      `Like NPLM's n_step, that width is built into the model. The LSTM reads all ${plural(words, 'word', 'words')} through its state.`,
    lstmColumn: (words: number) => `LSTM (${plural(words, 'word', 'words')})`,
    trigramColumn: '3-gram (2 words)',
    noCorpus: 'This server has no sentences left to count a 3-gram model from, so there is nothing to compare with.',
    agree: (word: string) => `Both predict ${word} first.`,
    differ: (lstmTop: string, trigramOnIt: string, trigramTop: string, lstmOnIt: string) =>
      `The LSTM predicts ${lstmTop} (the 3-gram gives it ${trigramOnIt}); the 3-gram predicts ${trigramTop} (the LSTM gives it ${lstmOnIt}).`,
    lstmWindowOnly: (window: string, word: string, probability: string) =>
      `Given only ${window}, the LSTM itself would predict ${word} (${probability}).`,
    shift: (words: number, share: string) =>
      `The ${plural(words, 'earlier word moves', 'earlier words move')} ${share} of the LSTM's probability mass ` +
      '(total variation distance between its predictions with and without them): information a 3-gram cannot use.',
    sameWords: 'The input has at most two words, so both models see the same words; the difference comes from how each learned.',
    disagreement: (share: string) => `In all, the two distributions differ by ${share} (total variation distance).`,
    lesson: 'The recurrence has no fixed window, its advantage over n-grams and NPLM; the other sections show what that costs and where its memory fades.',
  },

  overview: {
    intro:
      'An RNN reads a text one word at a time and carries what it has read in a state of fixed size; the LSTM adds gates and a cell state to hold on to information longer. ' +
      'Measured on this server’s model:',
    noExample: 'This server has no sentence long enough for a live example yet.',
    example: (text: string, predicted: string, probability: string, actual: string) =>
      `After ${text} (from your sentences) the model predicts ${predicted} (${probability}); the sentence goes on with ${actual}.`,
    memory: (word: string, steps: number, drop: string) =>
      `Memory: hiding ${word} (${back(steps)}) lowers the prediction’s probability by ${drop} points.`,
    vanishing: (steps: number, change: string) =>
      `Vanishing gradients: over ${steps} steps, the gradient ${change} on its way back to the first position.`,
    window: (lstm: string, trigram: string) =>
      `Fixed window: a 3-gram, seeing the last two words only, predicts ${trigram}; the LSTM predicts ${lstm}.`,
    sequential: (contextLength: number) =>
      `Sequential computation: the words are processed one after another (at most ${contextLength} per prediction); the \`sequential\` topic times it on this machine.`,
    unknown: (words: number, share: string | null) =>
      `Unknown words: the model knows ${words} words` + (share === null ? '.' : `; ${share} of the words in this server's sentences are outside its vocabulary.`),
    tryIt: 'Try `/explain text:` with your own words, or pick a `topic`.',
  },

  chart: {
    title: (target: string) => `What the prediction “${target}” depends on`,
    occlusion: 'Probability drop when hidden (points)',
    gradient: 'Gradient size ‖∂ log p / ∂e‖',
    position: 'Position (word number and word)',
  },
};

/** The texts of `/explain` in one language. */
export type ExplainMessages = typeof en;
