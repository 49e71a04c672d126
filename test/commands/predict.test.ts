import { describe, expect, it, vi } from 'vitest';
import { AUTOCOMPLETE_BUDGET_MS } from '../../src/commands/deadline.ts';
import { displayWidth } from '../../src/text/width.ts';
import { FakeServices } from '../support/fake-services.ts';
import type { FakeServicesOptions } from '../support/fake-services.ts';
import { ALICE, GUILD, autocomplete, runLine, start } from '../support/run-command.ts';

async function servicesWith(sentences: string[], options: FakeServicesOptions = {}): Promise<FakeServices> {
  const services = new FakeServices(options);
  for (const text of sentences) {
    await services.teach({ guildId: GUILD, channelId: null, authorId: ALICE.id, text, source: 'console' });
  }
  return services;
}

/** The lines of the code block of a reply. */
function tableLines(text: string): string[] {
  const lines = text.split('\n');
  return lines.filter((line) => /\d%$/.test(line));
}

const PETS = ['我 喜欢 猫', '我 喜欢 狗', '我 喜欢 猫 和 鱼', '你 喜欢 猫'];

describe('/predict', () => {
  it('defers, then shows the next words with bars proportional to their probabilities', async () => {
    const services = await servicesWith(PETS);
    const outputs = await runLine('/predict 我 喜欢', { services });
    expect(outputs.map((output) => output.kind)).toEqual(['edit']);
    const content = outputs[0]?.message.content ?? '';
    expect(content).toMatch(/```\n[\s\S]*\n```/);
    const rows = tableLines(outputs[0]?.text ?? '');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^猫\s+█{15}\s+75\.0%$/);
    expect(rows[1]).toMatch(/^狗\s+█{5}\s+25\.0%$/);
    expect(content).toContain('model v1 (LSTM)');
  });

  it('aligns the bars when labels mix double-width CJK and Latin words', async () => {
    const services = await servicesWith(['we like 猫咪', 'we like cats', 'we like dogs too', 'we like 猫咪 a lot']);
    const rows = tableLines((await runLine('/predict we like', { services }))[0]?.text ?? '');
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const barColumns = rows.map((row) => displayWidth(row.slice(0, row.indexOf('█'))));
    expect(new Set(barColumns).size).toBe(1);
    expect(rows.map((row) => row.split(/\s+/)[0])).toContain('猫咪');
  });

  it('limits the table to `count` rows', async () => {
    const services = await servicesWith(PETS);
    const rows = tableLines((await runLine('/predict 我 喜欢 count:1', { services }))[0]?.text ?? '');
    expect(rows).toHaveLength(1);
  });

  it('names the words the model does not know', async () => {
    const services = await servicesWith(PETS);
    const text = (await runLine('/predict 我 非常 喜欢', { services }))[0]?.text ?? '';
    expect(text).toContain('Not in the vocabulary yet: `非常`');
  });

  it('says when only the last words of a long input were used', async () => {
    const services = await servicesWith(PETS, { contextLength: 2 });
    const text = (await runLine('/predict 你 和 我 喜欢', { services }))[0]?.text ?? '';
    expect(text).toContain('Only the last 2 words were used: `我喜欢`');
  });

  it('says how many sentences are still needed when there is no model', async () => {
    const services = await servicesWith(['我 喜欢 猫'], { retrainMinChanges: 10 });
    expect((await runLine('/predict 我', { services }))[0]?.text).toContain('1 sentence has been taught, 9 more are needed');
    expect((await runLine('/predict 我', { services, locale: 'zh-CN' }))[0]?.text).toContain('目前已教了 1 句，首次训练前还需要 9 句');
  });

  it('explains when no word of the input is known', async () => {
    const services = await servicesWith(PETS);
    expect((await runLine('/predict hello', { services }))[0]?.text).toContain('None of these words are known yet: `hello`');
  });

  it('answers an input of punctuation only as empty', async () => {
    const services = await servicesWith(PETS);
    const running = await start('predict', { text: '   ' }, { services, locale: 'zh-TW' });
    await running.finished;
    expect(running.outputs[0]?.text).toBe('請至少輸入一個詞。');
  });
});

describe('/predict autocomplete', () => {
  it('offers at most 25 completions of the typed text, each at most 100 characters', async () => {
    const many = Array.from({ length: 40 }, (_, index) => `start word${index}`);
    const services = await servicesWith(many);
    const choices = await autocomplete('predict', 'text', 'start', { services });
    expect(choices).toHaveLength(25);
    for (const choice of choices) {
      expect(String(choice.value)).toMatch(/^start word\d+$/);
      expect(choice.name.length).toBeLessThanOrEqual(100);
    }
  });

  it('appends a predicted Chinese word without a space, a word after Latin text with one', async () => {
    const services = await servicesWith([...PETS, 'we like 猫']);
    expect((await autocomplete('predict', 'text', '我喜欢', { services })).map((choice) => choice.value)).toEqual(['我喜欢猫', '我喜欢狗']);
    expect((await autocomplete('predict', 'text', 'we like ', { services })).map((choice) => choice.value)).toEqual(['we like 猫']);
  });

  it('drops completions that would exceed Discord’s 100 characters', async () => {
    const services = await servicesWith(PETS);
    const typed = `${'猫 '.repeat(49)}我`;
    expect(typed.length).toBe(99);
    expect(await services.complete(GUILD, typed, 25)).not.toHaveLength(0);
    expect(await autocomplete('predict', 'text', typed, { services })).toEqual([]);
  });

  it('answers with no suggestions rather than too late when completion is slow', async () => {
    vi.useFakeTimers();
    try {
      const services = await servicesWith(PETS);
      services.complete = () => new Promise(() => undefined);
      const answered = autocomplete('predict', 'text', '我', { services });
      await vi.advanceTimersByTimeAsync(AUTOCOMPLETE_BUDGET_MS - 1);
      let settled = false;
      void answered.then(() => { settled = true; });
      await vi.advanceTimersByTimeAsync(0);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await answered).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});
