import { describe, expect, it } from 'vitest';
import { FakeServices } from '../support/fake-services.ts';
import { ALICE, BOB, GUILD, MEMBER, autocomplete, runLine } from '../support/run-command.ts';

async function taught(entries: [author: string, text: string][]): Promise<{ services: FakeServices; ids: number[] }> {
  const services = new FakeServices();
  const ids: number[] = [];
  for (const [authorId, text] of entries) {
    const outcome = await services.teach({ guildId: GUILD, channelId: null, authorId, text, source: 'console' });
    if (outcome.status !== 'added') throw new Error(`not added: ${text}`);
    ids.push(outcome.id);
  }
  return { services, ids };
}

describe('/generate', () => {
  it('writes on from the start words and shows the generated part in bold', async () => {
    const { services } = await taught([[ALICE.id, 'the cat sat on the mat'], [ALICE.id, 'a dog'], [ALICE.id, 'a bird']]);
    const [answer] = await runLine('/generate the cat length:3', { services });
    expect(answer?.kind).toBe('edit');
    expect(answer?.message.content).toContain('Generated: the cat **sat on the**');
  });

  it('says how many sentences are missing when there is no model', async () => {
    const { services } = await taught([[ALICE.id, 'the cat']]);
    expect((await runLine('/generate the', { services, locale: 'zh-CN' }))[0]?.text).toContain('首次训练前还需要 2 句');
  });

  it('refuses a temperature outside 0.1-2 in the console, as Discord would', async () => {
    const { services } = await taught([]);
    await expect(runLine('/generate the temperature:3', { services })).rejects.toThrow(/temperature.*a number from 0.1 to 2/);
  });
});

describe('/stats', () => {
  it('shows corpus figures without a chart while there is no model', async () => {
    const { services } = await taught([[ALICE.id, 'one sentence'], [BOB.id, 'another sentence']]);
    const [answer] = await runLine('/stats', { services });
    expect(answer?.kind).toBe('edit');
    expect(answer?.text).toContain('Sentences: 2');
    expect(answer?.text).toContain('Contributors: 2');
    expect(answer?.text).toContain('Model: none yet');
    expect(answer?.text).toContain('Next retrain: not due: 2 of 3 new sentences since the last model');
    expect(answer?.message.files).toBeUndefined();
  });

  it('adds the model, its metrics and the loss chart once there is a model', async () => {
    const { services } = await taught([[ALICE.id, 'a b'], [ALICE.id, 'b c'], [BOB.id, 'c d']]);
    const [answer] = await runLine('/stats', { services, locale: 'zh-CN' });
    expect(answer?.text).toContain('模型: v1（LSTM）');
    expect(answer?.text).toContain('用 3 句训练');
    expect(answer?.text).toContain('准确率 25.0%');
    expect(answer?.message.files?.[0]?.name).toBe('loss.png');
    expect(answer?.message.embeds?.[0]?.image).toBe('loss.png');
    expect(services.chartRequests[0]?.locale).toBe('zh-CN');
  });

  const history = [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 3 - epoch / 10, validationLoss: [2.9, 2.8, 2.85][epoch - 1], validationAccuracy: epoch / 10 }));
  it.each([
    ['the best epoch’s after validation stopped improving', { history, bestEpoch: 2 }, 'validation loss 2.800, accuracy 20.0% (weights of epoch 2 of 3)'],
    [
      'their average when it was kept',
      { history, bestEpoch: 2, weightAverage: { snapshots: 8, validationLoss: 2.75, validationAccuracy: 0.21, kept: true } },
      'validation loss 2.750, accuracy 21.0% (average of 8 weight snapshots from the last of 3 epochs)',
    ],
    [
      'the best epoch’s when the average was not kept',
      { history, bestEpoch: 2, weightAverage: { snapshots: 8, validationLoss: 2.95, validationAccuracy: 0.19, kept: false } },
      'validation loss 2.800, accuracy 20.0% (weights of epoch 2 of 3)',
    ],
    [
      'the validated epoch’s, then trained again on every sentence',
      { history, bestEpoch: 2, refit: { epochs: 2, sentences: 3, seconds: 1 } },
      'validation loss 2.800, accuracy 20.0% (weights of epoch 2 of 3, then trained again on all 3 sentences)',
    ],
  ])('gives the validation figures of the weights the model holds: %s', async (_, metrics, expected) => {
    const { services } = await taught([[ALICE.id, 'a b'], [ALICE.id, 'b c'], [BOB.id, 'c d']]);
    services.modelMetrics = metrics;
    const [answer] = await runLine('/stats', { services });
    expect(answer?.text).toContain(`Last training: ${expected}`);
  });

  it.each([
    ['the validation split', {}, 'Answers with: LSTM + 3-gram, λ 0.6; validation perplexity: mixture 40.0, LSTM 50.0, 3-gram 45.0'],
    ['five folds', { folds: 5 }, 'Answers with: LSTM + 3-gram, λ 0.6; 5-fold cross-validated perplexity: mixture 40.0, LSTM 50.0, 3-gram 45.0'],
    [
      'λ by word frequency',
      { frequencyWeights: { countBounds: [4], lstmWeights: [0.35, 0.9], sentences: 90 } },
      'Answers with: LSTM + 3-gram, λ 0.35–0.9; validation perplexity: mixture 40.0, LSTM 50.0, 3-gram 45.0',
    ],
  ])('names what answers and the perplexities it was chosen on: %s', async (_, overrides, expected) => {
    const { services } = await taught([[ALICE.id, 'a b'], [ALICE.id, 'b c'], [BOB.id, 'c d']]);
    services.servedChoice = {
      served: 'mix',
      lstmWeight: 0.6,
      lstmPerplexity: 50,
      kneserNeyPerplexity: 45,
      mixPerplexity: 40,
      targets: 100,
      geometric: null,
      combination: 'linear',
      calibration: null,
      frequencyWeights: null,
      ...overrides,
    };
    const [answer] = await runLine('/stats', { services });
    expect(answer?.text).toContain(expected);
  });

  it('shows the cause of the last run’s failure with the run as reference', async () => {
    const { services } = await taught([[ALICE.id, 'a b']]);
    services.retrain(GUILD, { full: false, requestedBy: ALICE.id });
    services.runs[0]?.finish({ status: 'failed', runId: 1, error: 'training worker exited with code 1' });
    const [answer] = await runLine('/stats', { services });
    expect(answer?.text).toMatch(/Last run: failed, (now|\d+ seconds? ago)\n {4}the training stopped unexpectedly \(reference: run 1\)/);
  });
});

describe('/forget', () => {
  it('removes a member’s own sentence', async () => {
    const { services, ids } = await taught([[ALICE.id, 'mine to remove']]);
    const [answer] = await runLine(`/forget ${ids[0]}`, { services, permissions: MEMBER });
    expect(answer?.text).toBe(`Sentence #${ids[0]} was removed.`);
    expect(answer?.message.ephemeral).toBe(true);
    expect(services.sentences.size).toBe(0);
  });

  it('refuses to remove someone else’s sentence for a member', async () => {
    const { services, ids } = await taught([[BOB.id, 'bob wrote this']]);
    const [answer] = await runLine(`/forget sentence:${ids[0]}`, { services, permissions: MEMBER, locale: 'zh-CN' });
    expect(answer?.text).toBe(`本服务器中没有你的句子 #${ids[0]}。`);
    expect(services.sentences.size).toBe(1);
  });

  it('lets a moderator remove anyone’s sentence', async () => {
    const { services, ids } = await taught([[BOB.id, 'bob wrote this']]);
    await runLine(`/forget ${ids[0]}`, { services });
    expect(services.sentences.size).toBe(0);
  });

  it('removes all of a member’s sentences, and only theirs', async () => {
    const { services } = await taught([[ALICE.id, 'one'], [ALICE.id, 'two'], [BOB.id, 'three']]);
    expect((await runLine('/forget all:true', { services, permissions: MEMBER }))[0]?.text).toBe('2 sentences of yours removed.');
    expect([...services.sentences.values()].map((s) => s.authorId)).toEqual([BOB.id]);
  });

  it('refuses a member naming another member, and lets a moderator do it', async () => {
    const { services } = await taught([[BOB.id, 'three']]);
    const refused = await runLine(`/forget all:true member:<@${BOB.id}>`, { services, permissions: MEMBER });
    expect(refused[0]?.text).toContain('Only members with the Manage Server permission can remove other members’ sentences');
    expect(services.sentences.size).toBe(1);
    const done = await runLine(`/forget all:true member:${BOB.id}`, { services });
    expect(done[0]?.text).toBe(`1 sentence of ${BOB.id} removed.`);
    expect(services.sentences.size).toBe(0);
  });

  it('asks what to forget when given nothing', async () => {
    const { services } = await taught([]);
    expect((await runLine('/forget', { services }))[0]?.text).toContain('Choose a `sentence`');
  });

  it('autocompletes only the member’s own sentences, newest first, with the id as value', async () => {
    const { services, ids } = await taught([[ALICE.id, 'cats are great'], [BOB.id, 'cats are loud'], [ALICE.id, 'dogs too']]);
    const own = await autocomplete('forget', 'sentence', 'cats', { services, permissions: MEMBER });
    expect(own).toEqual([{ name: `#${ids[0]} cats are great`, value: ids[0] }]);
    const everyone = await autocomplete('forget', 'sentence', 'cats', { services });
    expect(everyone.map((choice) => choice.value)).toEqual([ids[1], ids[0]]);
  });
});

describe('/sentences', () => {
  it('lists recent sentences with ids, paged', async () => {
    const entries = Array.from({ length: 12 }, (_, index): [string, string] => [index % 2 === 0 ? ALICE.id : BOB.id, `sentence number ${index + 1}`]);
    const { services, ids } = await taught(entries);
    const [first] = await runLine('/sentences list', { services });
    expect(first?.message.ephemeral).toBe(true);
    expect(first?.text).toContain('Sentences, page 1/2 (12 in all)');
    expect(first?.text).toContain(`\`#${ids[11]}\` sentence number 12 · @${BOB.id}`);
    expect(first?.text).toContain('Next page: `/sentences list page:2`');
    const [second] = await runLine('/sentences list 2', { services });
    expect(second?.text).toContain(`\`#${ids[0]}\` sentence number 1 · @${ALICE.id}`);
    expect(second?.text).not.toContain('Next page');
    const [alices] = await runLine(`/sentences list member:${ALICE.id}`, { services, locale: 'zh-TW' });
    expect(alices?.text).toContain('的句子，第 1/1 頁（共 6 句）');
  });

  it('says when there are no sentences yet', async () => {
    const { services } = await taught([]);
    expect((await runLine('/sentences list', { services }))[0]?.text).toBe('No sentences yet.');
  });
});
