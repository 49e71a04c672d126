/**
 * English messages: the reference every other language must match (see {@link Messages}).
 *
 * @module
 */

import type { ServedMixture } from '../lm/served-model.ts';
import type { RunFailureCause } from '../training/failure.ts';

const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;

/** The LSTM's weight in the mixture as members read it: two decimals at most (`0.7`, `0.62`). */
export const lambda = (weight: number): string => String(Number(weight.toFixed(2)));

/**
 * What answers, in a language's words: `LSTM`, `n-gram`, the linear mixture with λ (its lowest and
 * highest when λ depends on the word's frequency), or the geometric one with its exponents
 * (`separator` and `exponents` are the language's).
 */
export const modelKindIn =
  (separator: string, exponents: string) =>
  ({ kind, lstmWeight, geometric, frequencyWeights }: ServedMixture): string => {
    if (kind !== 'mix') return kind === 'lstm' ? 'LSTM' : 'n-gram';
    if (geometric !== null) return `LSTM × 3-gram${separator}${exponents} ${lambda(geometric.lstmExponent)} / ${lambda(geometric.kneserNeyExponent)}`;
    const weights = frequencyWeights?.lstmWeights;
    return `LSTM + 3-gram${separator}λ ${weights === undefined ? lambda(lstmWeight) : `${lambda(Math.min(...weights))}–${lambda(Math.max(...weights))}`}`;
  };

/** English texts. Values are strings, or functions of the figures they show. */
export const en = {
  commands: {
    teach: {
      description: 'Teach the bot a sentence written the way people here write',
      options: { sentence: 'The sentence to learn (up to 300 characters)' },
    },
    predict: {
      description: 'Show the most likely next words after some text',
      options: { text: 'The words to continue', count: 'How many candidates to show (1-10)' },
    },
    generate: {
      description: 'Let the model write on from a few words',
      options: {
        start: 'The words to start with',
        length: 'How many words to add (1-50)',
        temperature: 'Creativity: 0.1 sticks to the likeliest words, 2.0 is adventurous',
      },
    },
    retrain: {
      description: 'Retrain this server’s model now and follow the training',
      options: { full: 'Start from scratch instead of continuing from the current model' },
    },
    stats: {
      description: 'Corpus, vocabulary, model and training figures of this server',
      options: {},
    },
    forget: {
      description: 'Remove taught sentences',
      options: {
        sentence: 'The sentence to remove (start typing to search)',
        all: 'Remove all of your sentences (or of the chosen member)',
        member: 'Moderators: the member whose sentences to remove',
      },
    },
    sentences: {
      description: 'Taught sentences: list them, or get them as a file',
      list: {
        description: 'List recently taught sentences with their ids',
        options: { page: 'Page number', member: 'Only this member’s sentences' },
      },
      export: {
        description: 'Get the sentences you taught in this server as a text file, privately',
        options: { scope: 'Whose sentences: yours (default) or, for moderators, the whole server’s' },
        scopes: { mine: 'Mine', server: 'The whole server' },
      },
    },
    explain: {
      description: 'Explain how the model arrives at its predictions',
      options: { text: 'The words whose prediction to explain', topic: 'What to explain' },
    },
  },

  common: {
    noModel: (sentences: number, needed: number) =>
      `There is no model yet: ${plural(sentences, 'sentence has', 'sentences have')} been taught, ` +
      (needed > 0
        ? `${needed} more ${needed === 1 ? 'is' : 'are'} needed before the first training. Use \`/teach\`.`
        : 'enough for the first training, which starts soon.'),
    emptyInput: 'Please give at least one word.',
    unknownWords: (words: string) => `Not in the vocabulary yet: ${words}`,
    modelFooter: (version: number, kind: string) => `model v${version} (${kind})`,
    /** The model that answered: `LSTM`, `n-gram`, the linear mixture with the LSTM's weight λ, or the geometric one with its exponents. */
    modelKind: modelKindIn(', ', 'exponents'),
    none: 'none',
    busy: 'I am busy with other members’ requests right now. Please try again in a few seconds.',
  },

  /** What the dispatcher answers in a command's place (the codes of `src/commands/errors.ts`). */
  errors: {
    guildOnly: 'These commands work in a server only: every server teaches its own model.',
    unknownCommand: (name: string) => `Unknown command \`/${name}\`.`,
    internalError: (reference: string) =>
      `Something went wrong on my side (reference \`${reference}\`). Please try again later.`,
    needsManageGuild: 'Only members with the **Manage Server** permission can do this.',
    cooldownMember: (seconds: number) =>
      `You are using this command very often. Please wait ${plural(seconds, 'second', 'seconds')} and try again.`,
    cooldownServer: (seconds: number) =>
      `This server is using this command very often right now. Please wait ${plural(seconds, 'second', 'seconds')} and try again.`,
  },

  teach: {
    added: (tokens: string) => `Learned, as the model sees it: ${tokens}`,
    removedMarkup: (count: number) => `${plural(count, 'mention or link was', 'mentions or links were')} left out.`,
    untilRetrain: (count: number) =>
      count > 0
        ? `${plural(count, 'more new sentence', 'more new sentences')} until the next retrain.`
        : 'Enough new sentences: the next scheduled retrain will include it.',
    empty: 'The sentence is empty.',
    tooLong: (length: number, max: number) => `The sentence is too long: ${length} characters, at most ${max}.`,
    tooManyTokens: (tokens: number, max: number) => `The sentence has too many words: ${tokens}, at most ${max}.`,
    noWords: 'The sentence contains no words (only punctuation, symbols, mentions or links).',
    duplicate: (id: number) => `This sentence is already known (#${id}).`,
    cooldown: (seconds: number) =>
      `You are teaching very fast. Please wait ${plural(seconds, 'second', 'seconds')} and try again.`,
  },

  predict: {
    title: (text: string) => `Next word after ${text}`,
    truncated: (count: number, used: string) => `Only the last ${plural(count, 'word', 'words')} were used: ${used}`,
    allUnknown: (words: string) =>
      `None of these words are known yet: ${words}. Teach sentences with them using \`/teach\`.`,
  },

  generate: {
    result: (text: string) => `Generated: ${text}`,
  },

  retrain: {
    started: 'Retraining this server’s model…',
    joined: 'A retrain is already running for this server; here is its progress.',
    phases: {
      queued: 'waiting for its turn',
      preparing: 'preparing the data',
      'cross-validating': 'cross-validating its settings on held-out sentences',
      training: 'training',
      refitting: 'training again on every sentence, held-out ones included',
      saving: 'saving the model',
    },
    progress: (epoch: number, maxEpochs: number, phase: string) => `Epoch ${epoch}/${maxEpochs}, ${phase}`,
    crossValidation: (training: number, trainings: number) => `Cross-validating the settings on held-out sentences: training ${training} of ${trainings}`,
    loss: (loss: string) => `loss ${loss}`,
    eta: (duration: string) => `about ${duration} left`,
    resultInChannel:
      'This training takes longer than Discord lets me update this message: I will post its result in this channel when it ends (`/stats` shows it too).',
    succeeded: 'Training finished',
    failed: (cause: string, runId: number) => `The training failed: ${cause} (reference: run ${runId}).`,
    cancelled: 'The training was cancelled.',
    fullNotDue: (wait: string) =>
      `This server had a full retrain recently; the next one can start in ${wait}. A plain \`/retrain\` continues from the current model now.`,
    fields: {
      sentences: 'Sentences',
      vocabulary: 'Vocabulary',
      loss: 'Loss (train / validation)',
      accuracy: 'Validation accuracy',
      duration: 'Duration',
      version: 'Model version',
      promoted: 'Now answering',
    },
    promoted: 'yes, this model answers from now on',
    notPromoted: (reason: string) => `no, the previous model stays: ${reason}`,
    notPromotedNoReason: 'no, the previous model stays',
  },

  stats: {
    title: 'Server statistics',
    fields: {
      sentences: 'Sentences',
      contributors: 'Contributors',
      vocabulary: 'Vocabulary',
      model: 'Model',
      metrics: 'Last training',
      served: 'Answers with',
      nextRetrain: 'Next retrain',
      lastRun: 'Last run',
    },
    noModel: 'none yet',
    model: (version: number, kind: string, age: string, corpus: number) =>
      `v${version} (${kind}), trained ${age} on ${plural(corpus, 'sentence', 'sentences')}`,
    metrics: (validationLoss: string, accuracy: string, weights: string) =>
      `validation loss ${validationLoss}, accuracy ${accuracy} (${weights})`,
    /** Validation perplexities behind the choice of model; λ is the LSTM's weight in the mixture. */
    served: (kind: string, mix: string, lstm: string, kneserNey: string, folds: number | null) =>
      `${kind}; ${folds === null ? 'validation' : `${folds}-fold cross-validated`} perplexity: mixture ${mix}, LSTM ${lstm}, 3-gram ${kneserNey}`,
    keptEpoch: (epoch: number, epochs: number) => `weights of epoch ${epoch} of ${epochs}`,
    /** Follows `keptEpoch` or `keptAverage`. */
    refitted: (sentences: number) => `, then trained again on all ${plural(sentences, 'sentence', 'sentences')}`,
    keptAverage: (snapshots: number, epochs: number) =>
      `average of ${plural(snapshots, 'weight snapshot', 'weight snapshots')} from the last of ${plural(epochs, 'epoch', 'epochs')}`,
    notDue: (changes: number, threshold: number) =>
      `not due: ${changes} of ${threshold} new sentences since the last model`,
    retrying: (failures: number, maxAttempts: number, when: string) =>
      `${failures} of ${maxAttempts} attempts failed; the next one ${when}`,
    retriesStopped: (failures: number) =>
      `stopped after ${plural(failures, 'failed attempt', 'failed attempts')} in a row; a moderator’s \`/retrain\` tries again`,
    lastRun: (status: string, when: string) => `${status}, ${when}`,
    lastRunFailure: (cause: string, runId: number) => `${cause} (reference: run ${runId})`,
    runStatus: { queued: 'queued', running: 'running', succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled' } as Record<string, string>,
  },

  /** Why a run failed, as members are told (`RunFailureCause`); the details are in the logs. */
  runFailures: {
    interrupted: 'it was interrupted by a stop or restart of the bot',
    out_of_memory: 'it ran out of memory',
    diverged: 'the training became unstable',
    no_sentences: 'there are no sentences to train on',
    crashed: 'the training stopped unexpectedly',
    internal: 'an internal error occurred',
  } satisfies Record<RunFailureCause, string>,

  forget: {
    removedOne: (id: number) => `Sentence #${id} was removed.`,
    notFound: (id: number) => `There is no sentence #${id} of yours in this server.`,
    removedAllOwn: (count: number) => `${plural(count, 'sentence', 'sentences')} of yours removed.`,
    removedAllOf: (count: number, member: string) => `${plural(count, 'sentence', 'sentences')} of ${member} removed.`,
    nothingChosen: 'Choose a `sentence`, or set `all` to true.',
    cooldown: (seconds: number) =>
      `You are removing sentences very fast. Please wait ${plural(seconds, 'second', 'seconds')} and try again.`,
    othersNeedManageGuild: 'Only members with the **Manage Server** permission can remove other members’ sentences.',
  },

  sentences: {
    title: (page: number, pageCount: number, total: number) => `Sentences, page ${page}/${pageCount} (${total} in all)`,
    titleOf: (member: string, page: number, pageCount: number, total: number) =>
      `Sentences of ${member}, page ${page}/${pageCount} (${total} in all)`,
    empty: 'No sentences yet.',
    more: (next: number) => `Next page: \`/sentences list page:${next}\``,
    exported: (count: number) => `The ${plural(count, 'sentence', 'sentences')} you taught in this server, one per line.`,
    exportedServer: (count: number) => `All ${plural(count, 'sentence', 'sentences')} of this server, one per line, without who taught them.`,
    nothingToExport: 'You have taught no sentence in this server.',
    exportNeedsManageGuild: 'Only members with the **Manage Server** permission can export the whole server’s sentences.',
  },

  console: {
    help: 'Commands (type `/name value` or `/name option:value`):',
    helpExit: '/help lists the commands, /exit leaves.',
    notACommand: 'Commands start with `/`; try /help.',
    missingOption: (command: string, option: string) => `/${command} needs \`${option}\`; try /help.`,
    invalidOption: (option: string, expected: string) => `\`${option}\` expects ${expected}.`,
    unexpectedText: (command: string, text: string) => `/${command} does not know what to do with \`${text}\`; try /help.`,
    chooseSubcommand: (command: string, names: readonly string[]) =>
      `/${command} needs one of ${names.map((name) => `\`${name}\``).join(', ')} first; try /help.`,
    expected: {
      integer: (min: string, max: string) => `a whole number from ${min} to ${max}`,
      number: (min: string, max: string) => `a number from ${min} to ${max}`,
      boolean: 'true or false',
      user: 'a member id or mention',
      string: (max: number) => `a text of at most ${max} characters`,
    },
    savedFile: (name: string, file: string) => `[file ${name}: ${file}]`,
  },

  time: {
    seconds: (s: number) => `${s} s`,
    minutes: (m: number, s: number) => (s > 0 ? `${m} min ${s} s` : `${m} min`),
    hours: (h: number, m: number) => (m > 0 ? `${h} h ${m} min` : `${h} h`),
  },
};

/** The shape every language's messages must have. */
export type Messages = typeof en;
