import { describe, expect, it } from 'vitest';
import explain from '../../commands/explain.ts';
import { EXPLAIN_TOPICS } from '../../src/explain/topics.ts';
import { FakeServices } from '../support/fake-services.ts';
import { ALICE, GUILD, runLine, start } from '../support/run-command.ts';

async function servicesWith(sentences: number): Promise<FakeServices> {
  const services = new FakeServices({ retrainMinChanges: 3 });
  for (let i = 0; i < sentences; i++) {
    await services.teach({ guildId: GUILD, channelId: null, authorId: ALICE.id, text: `we met ${i} friends`, source: 'console' });
  }
  return services;
}

describe('/explain', () => {
  it('answers with the first page and the chart, then the other pages as follow-ups', async () => {
    const services = await servicesWith(3);
    const outputs = await runLine('/explain text:we met friends', { services });
    expect(outputs.map((output) => output.kind)).toEqual(['edit', 'followUp']);
    expect(outputs[0]?.message.content).toContain('Explanation of we met friends');
    expect(outputs[0]?.message.files?.map((file) => file.name)).toEqual(['influence.png']);
    expect(outputs[0]?.message.files?.[0]?.data.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(outputs[1]?.message.content).toBe('More about we met friends');
    expect(outputs[1]?.message.files).toBeUndefined();
  });

  it('passes the text, the topic and the member’s locale to the service', async () => {
    const services = await servicesWith(3);
    const running = await start('explain', { text: '我 喜欢', topic: 'vanishing' }, { services, locale: 'zh-TW' });
    await running.finished;
    expect(services.explainRequests).toEqual([{ guildId: GUILD, request: { text: '我 喜欢', topic: 'vanishing', locale: 'zh-TW' } }]);
    const bare = await start('explain', {}, { services });
    await bare.finished;
    expect(services.explainRequests[1]?.request).toEqual({ text: undefined, topic: undefined, locale: 'en' });
    expect(bare.outputs[0]?.message.files).toBeUndefined();
  });

  it('refuses a topic that does not exist, naming the ones that do', async () => {
    const services = await servicesWith(3);
    const outputs = await runLine('/explain topic:attention', { services });
    expect(outputs.map((output) => output.kind)).toEqual(['reply']);
    expect(outputs[0]?.message.ephemeral).toBe(true);
    expect(outputs[0]?.message.content).toContain('`attention`');
    for (const topic of EXPLAIN_TOPICS) expect(outputs[0]?.message.content).toContain(`\`${topic}\``);
    expect(services.explainRequests).toEqual([]);
  });

  it('says how many sentences are still needed when there is no model', async () => {
    const services = await servicesWith(1);
    const outputs = await runLine('/explain text:we met', { services });
    expect(outputs[0]?.text).toContain('2 more are needed');
  });

  it('offers every topic as a choice, named in English and Chinese', () => {
    const topic = explain.data.toJSON().options?.find((option) => option.name === 'topic') as
      | { choices?: { name: string; value: string; name_localizations?: Record<string, string> }[] }
      | undefined;
    expect(topic?.choices?.map((choice) => choice.value)).toEqual([...EXPLAIN_TOPICS]);
    for (const choice of topic?.choices ?? []) {
      expect(choice.name.length).toBeLessThanOrEqual(100);
      expect(choice.name_localizations?.['zh-CN']).toMatch(/[\u4e00-\u9fff]/);
      expect(choice.name_localizations?.['zh-TW']).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});
