import { afterEach, describe, expect, it, vi } from 'vitest';
import { PROGRESS_EDIT_INTERVAL_MS } from '../../commands/retrain.ts';
import type { RunResult } from '../../src/app/services.ts';
import { FakeServices } from '../support/fake-services.ts';
import { MEMBER, startLine } from '../support/run-command.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function succeeded(overrides: Partial<Extract<RunResult, { status: 'succeeded' }>> = {}): RunResult {
  return {
    status: 'succeeded',
    runId: 1,
    modelVersion: 4,
    promoted: true,
    sentences: 120,
    vocabularySize: 345,
    finalLoss: 1.234,
    validationLoss: 1.5,
    validationAccuracy: 0.315,
    seconds: 75,
    history: [
      { epoch: 1, trainLoss: 3.1, validationLoss: 3.2 },
      { epoch: 2, trainLoss: 1.234, validationLoss: 1.5, validationAccuracy: 0.315 },
    ],
    ...overrides,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('/retrain', () => {
  it('refuses a member without Manage Server, politely and privately', async () => {
    const services = new FakeServices();
    const running = await startLine('/retrain', { services, permissions: MEMBER });
    await running.finished;
    expect(running.outputs).toHaveLength(1);
    expect(running.outputs[0]?.message.ephemeral).toBe(true);
    expect(running.outputs[0]?.text).toBe('Only members with the Manage Server permission can do this.');
    expect(services.runs).toHaveLength(0);

    const chinese = await startLine('/retrain', { services, permissions: MEMBER, locale: 'zh-CN' });
    await chinese.finished;
    expect(chinese.outputs[0]?.text).toBe('只有拥有 管理服务器 权限的成员才能执行此操作。');
  });

  it('edits the progress at most every 2 s, then shows the summary with the loss chart', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const services = new FakeServices();
    const running = await startLine('/retrain full:true', { services });
    await vi.advanceTimersByTimeAsync(0);
    const run = services.runs[0];
    expect(run?.full).toBe(true);
    expect(running.ctx.deferred).toBe(true);
    // Progress every 300 ms for 9 s: 30 reports.
    for (let step = 1; step <= 30; step += 1) {
      run?.report(Math.ceil(step / 10), 3, step % 10, 10);
      await vi.advanceTimersByTimeAsync(300);
    }
    const progressEdits = running.outputs.filter((output) => output.kind === 'edit');
    expect(progressEdits.length).toBeGreaterThanOrEqual(4);
    expect(progressEdits.length).toBeLessThanOrEqual(6);
    for (let index = 1; index < progressEdits.length; index += 1) {
      const gap = (progressEdits[index]?.at ?? 0) - (progressEdits[index - 1]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(PROGRESS_EDIT_INTERVAL_MS);
    }
    const latest = progressEdits.at(-1)?.text ?? '';
    expect(latest).toContain('Retraining this server’s model');
    expect(latest).toMatch(/Epoch 3\/3, training/);
    expect(latest).toMatch(/█+░* \d+%/);
    expect(latest).toMatch(/loss \d\.\d{3}/);

    run?.finish(succeeded());
    await running.finished;
    const final = running.outputs.at(-1);
    expect(final?.kind).toBe('edit');
    const file = final?.message.files?.[0];
    expect(file?.name).toBe('loss.png');
    expect(file?.data.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(final?.message.embeds?.[0]?.image).toBe('loss.png');
    expect(final?.text).toContain('Training finished');
    expect(final?.text).toContain('Sentences: 120');
    expect(final?.text).toContain('Vocabulary: 345');
    expect(final?.text).toContain('Loss (train / validation): 1.234 / 1.500');
    expect(final?.text).toContain('Validation accuracy: 31.5%');
    expect(final?.text).toContain('Duration: 1 min 15 s');
    expect(final?.text).toContain('Model version: v4');
    expect(final?.text).toContain('yes, this model answers from now on');
    expect(services.chartRequests[0]?.history).toHaveLength(2);
    expect(run?.listenerCount).toBe(0);
    // No progress edit sneaks in after the summary.
    await vi.advanceTimersByTimeAsync(5000);
    expect(running.outputs.at(-1)).toBe(final);
  });

  it('shows the running retrain when a second one is asked for, and both get the summary', async () => {
    const services = new FakeServices();
    const first = await startLine('/retrain', { services });
    await vi.waitFor(() => expect(services.runs).toHaveLength(1));
    services.runs[0]?.report(2, 5);
    const second = await startLine('/retrain', { services, locale: 'zh-TW' });
    await vi.waitFor(() => expect(second.outputs.length).toBeGreaterThan(0));
    expect(services.runs).toHaveLength(1);
    expect(second.outputs[0]?.text).toContain('本伺服器已有一次訓練正在進行');
    expect(second.outputs[0]?.text).toContain('第 2/5 輪，正在訓練');
    services.runs[0]?.finish(succeeded({ promoted: false, note: 'validation loss 2.10 is worse than 1.80' }));
    await Promise.all([first.finished, second.finished]);
    expect(first.outputs.at(-1)?.text).toContain('no, the previous model stays: validation loss 2.10 is worse than 1.80');
    expect(second.outputs.at(-1)?.text).toContain('否，繼續使用先前的模型');
  });

  it('shows the phase alone while no epoch runs', async () => {
    const services = new FakeServices();
    const running = await startLine('/retrain', { services });
    await vi.waitFor(() => expect(services.runs).toHaveLength(1));
    await vi.waitFor(() => expect(running.outputs.at(-1)?.text).toBe('Retraining this server’s model…\nwaiting for its turn'));
    services.runs[0]?.reportPhase('preparing');
    await vi.waitFor(() => expect(running.outputs.at(-1)?.text).toBe('Retraining this server’s model…\npreparing the data'), { timeout: 3000 });
    services.runs[0]?.finish({ status: 'cancelled', runId: 1 });
    await running.finished;
    expect(running.outputs.at(-1)?.text).toBe('The training was cancelled.');
  });

  it('shows which training on folds a cross-validation is at, with the bar over all of them', async () => {
    const services = new FakeServices();
    const running = await startLine('/retrain', { services, locale: 'zh-CN' });
    await vi.waitFor(() => expect(services.runs).toHaveLength(1));
    // Training 5 of 20, halfway through its epochs: 4.5 of 20 trainings done, 22.5%.
    services.runs[0]?.report(5, 20, 6, 12, 'cross-validating');
    await vi.waitFor(() => expect(running.outputs.at(-1)?.text).toContain('正在用留出的句子交叉验证设置：第 5/20 次训练'), { timeout: 3000 });
    expect(running.outputs.at(-1)?.text).toMatch(/^`█{4,5}░+ 22% /m);
    services.runs[0]?.finish({ status: 'cancelled', runId: 1 });
    await running.finished;
  });

  it('counts the epochs of the training again on every sentence, named as such', async () => {
    const services = new FakeServices();
    const running = await startLine('/retrain', { services });
    await vi.waitFor(() => expect(services.runs).toHaveLength(1));
    services.runs[0]?.report(2, 5, 10, 10, 'refitting');
    await vi.waitFor(() => expect(running.outputs.at(-1)?.text).toContain('Epoch 2/5, training again on every sentence, held-out ones included'), {
      timeout: 3000,
    });
    expect(running.outputs.at(-1)?.text).toMatch(/^`█{8}░+ 40% /m);
    services.runs[0]?.finish({ status: 'cancelled', runId: 1 });
    await running.finished;
  });

  it('reports a failed training with its cause and the run as reference', async () => {
    const services = new FakeServices();
    const running = await startLine('/retrain', { services });
    await vi.waitFor(() => expect(services.runs).toHaveLength(1));
    services.runs[0]?.finish({ status: 'failed', runId: 1, error: 'training worker failed: Worker terminated due to reaching memory limit: JS heap out of memory' });
    await running.finished;
    expect(running.outputs.at(-1)?.text).toBe('The training failed: it ran out of memory (reference: run 1).');
    expect(running.outputs.at(-1)?.message.files).toBeUndefined();
  });
});
