import { describe, expect, it } from 'vitest';
import { SENTENCE_LIMITS } from '../../src/app/teach-policy.ts';
import type { CommandRegistry } from '../../src/commands/dispatch.ts';
import { FakeServices } from '../support/fake-services.ts';
import { ALICE, BOB, GUILD, commandsWith, runLine, start } from '../support/run-command.ts';
import { DEFAULT_COOLDOWNS } from '../../src/config.ts';

async function teachText(services: FakeServices, sentence: string, locale = 'en', user = ALICE, registry?: CommandRegistry): Promise<string> {
  const running = await start('teach', { sentence }, { services, locale, user, ...(registry === undefined ? {} : { registry }) });
  await running.finished;
  expect(running.outputs).toHaveLength(1);
  expect(running.outputs[0]?.message.ephemeral).toBe(true);
  return running.outputs[0]?.text ?? '';
}

describe('/teach', () => {
  it('shows the tokens as the model sees them and how many sentences until the next retrain', async () => {
    const services = new FakeServices({ retrainMinChanges: 5 });
    const [answer] = await runLine('/teach 我喜欢猫', { services });
    expect(answer?.kind).toBe('reply');
    expect(answer?.message.ephemeral).toBe(true);
    expect(answer?.text).toContain('`我 | 喜欢 | 猫`');
    expect(answer?.text).toContain('4 more new sentences until the next retrain');
    expect([...services.sentences.values()].map((s) => [s.guildId, s.authorId, s.text])).toEqual([[GUILD, ALICE.id, '我喜欢猫']]);
  });

  it('says when the sentence completes the batch for the next retrain', async () => {
    const services = new FakeServices({ retrainMinChanges: 2 });
    await teachText(services, 'the cat sleeps');
    expect(await teachText(services, 'the dog runs')).toContain('the next scheduled retrain will include it');
  });

  it('mentions removed mentions and links', async () => {
    const text = await teachText(new FakeServices(), 'look <@123456789012345678> at https://example.com now');
    expect(text).toContain('`look | at | now`');
    expect(text).toContain('2 mentions or links were left out');
  });

  it('refuses an empty sentence in English and Chinese', async () => {
    expect(await teachText(new FakeServices(), '   ')).toBe('The sentence is empty.');
    expect(await teachText(new FakeServices(), '   ', 'zh-CN')).toBe('句子是空的。');
  });

  it('refuses a sentence that is too long, giving its length and the limit', async () => {
    const services = new FakeServices();
    const { maxLength } = SENTENCE_LIMITS;
    const long = 'a'.repeat(maxLength + 5);
    expect(await teachText(services, long)).toBe(`The sentence is too long: ${maxLength + 5} characters, at most ${maxLength}.`);
    expect(await teachText(services, long, 'zh-CN')).toBe(`句子太长了：${maxLength + 5} 个字符，最多 ${maxLength} 个。`);
    expect(await teachText(services, long, 'zh-TW')).toBe(`句子太長了：${maxLength + 5} 個字元，最多 ${maxLength} 個。`);
  });

  it('refuses a sentence with too many tokens', async () => {
    const services = new FakeServices();
    const { maxTokens } = SENTENCE_LIMITS;
    const words = Array.from({ length: maxTokens + 1 }, (_, index) => `w${index}`).join(' ');
    expect(await teachText(services, words)).toBe(`The sentence has too many words: ${maxTokens + 1}, at most ${maxTokens}.`);
    expect(await teachText(services, words, 'zh-CN')).toBe(`句子的词太多了：${maxTokens + 1} 个，最多 ${maxTokens} 个。`);
    expect(services.sentences.size).toBe(0);
  });

  it('refuses a sentence without words', async () => {
    expect(await teachText(new FakeServices(), '!!! ???')).toContain('contains no words');
    expect(await teachText(new FakeServices(), '!!! ???', 'zh-CN')).toContain('句子里没有词');
  });

  it('refuses a duplicate sentence in the same guild, naming the existing one', async () => {
    const services = new FakeServices();
    await teachText(services, '我喜欢猫');
    const id = [...services.sentences.keys()][0];
    expect(await teachText(services, '我 喜欢 猫', 'en', BOB)).toBe(`This sentence is already known (#${id}).`);
    expect(await teachText(services, '我 喜欢 猫', 'zh-CN', BOB)).toBe(`这句话已经学过了（#${id}）。`);
    expect(services.sentences.size).toBe(1);
  });

  it('refuses a member teaching too fast with the waiting time', async () => {
    const now = 1_700_000_000_000;
    const services = new FakeServices({ now: () => now });
    const registry = await commandsWith({ cooldowns: { teachCooldownPerMinute: 2, forgetCooldownPerMinute: 5, fullRetrainMinIntervalHours: 6, cooldowns: DEFAULT_COOLDOWNS }, now: () => now });
    await teachText(services, 'first one', 'en', ALICE, registry);
    await teachText(services, 'second one', 'en', ALICE, registry);
    expect(await teachText(services, 'third one', 'en', ALICE, registry)).toBe('You are teaching very fast. Please wait 60 seconds and try again.');
    expect(await teachText(services, 'third one', 'zh-CN', ALICE, registry)).toBe('你教得太快了，请等 60 秒后再试。');
    expect(await teachText(services, 'third one', 'en', BOB, registry)).toContain('Learned');
    expect([...services.sentences.values()].map((s) => s.text)).toEqual(['first one', 'second one', 'third one']);
  });

  it('does not count refused sentences toward the cooldown, and still says why a sentence is refused', async () => {
    let now = 1_700_000_000_000;
    const services = new FakeServices({ now: () => now });
    const registry = await commandsWith({ cooldowns: { teachCooldownPerMinute: 2, forgetCooldownPerMinute: 5, fullRetrainMinIntervalHours: 6, cooldowns: DEFAULT_COOLDOWNS }, now: () => now });
    expect(await teachText(services, 'known words', 'en', ALICE, registry)).toContain('Learned');
    expect(await teachText(services, '   ', 'en', ALICE, registry)).toBe('The sentence is empty.');
    expect(await teachText(services, '!!! ???', 'en', ALICE, registry)).toContain('contains no words');
    expect(await teachText(services, 'known  words', 'en', ALICE, registry)).toMatch(/already known/);
    now += 30_000;
    expect(await teachText(services, 'new words', 'en', ALICE, registry)).toContain('Learned');
    expect(await teachText(services, 'more words', 'en', ALICE, registry)).toBe('You are teaching very fast. Please wait 30 seconds and try again.');
    // At the limit, a sentence refused for its form still says why; a duplicate is told to wait.
    expect(await teachText(services, '   ', 'en', ALICE, registry)).toBe('The sentence is empty.');
    expect(await teachText(services, 'known words', 'en', ALICE, registry)).toMatch(/Please wait 30 seconds/);
  });

  it('passes the whole rest of the console line as the sentence, colons included', async () => {
    const services = new FakeServices();
    await runLine('/teach 时间:10点 我们 见面', { services });
    expect([...services.sentences.values()][0]?.text).toBe('时间:10点 我们 见面');
  });
});
