import fs from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { runConsole } from '../../src/console/console.ts';
import { FakeServices } from '../support/fake-services.ts';
import { ALICE } from '../support/run-command.ts';
import { DEFAULT_COOLDOWNS } from '../../src/config.ts';

async function runPiped(script: string, services: FakeServices, locale?: string, whileRunning?: () => Promise<void>): Promise<string> {
  const output = new PassThrough();
  const chunks: string[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const done = runConsole({
    services,
    input: Readable.from([script]),
    output,
    guildId: 'local',
    user: ALICE,
    logger: pino({ level: 'silent' }),
    cooldowns: { teachCooldownPerMinute: 10, forgetCooldownPerMinute: 5, fullRetrainMinIntervalHours: 6, cooldowns: DEFAULT_COOLDOWNS },
    ...(locale === undefined ? {} : { locale }),
  });
  await whileRunning?.();
  await done;
  return chunks.join('');
}

describe('runConsole with piped input', () => {
  it('answers each line in order and returns at the end of input', async () => {
    const services = new FakeServices();
    const text = await runPiped(
      ['/teach 我 喜欢 猫', '/teach 我 喜欢 狗', '', '# a comment', '/teach 你 喜欢 猫', '/predict 我 喜欢 count:2', 'hello', '/nope'].join('\n'),
      services,
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('> /teach 我 喜欢 猫');
    expect(lines[1]).toBe('Learned, as the model sees it: `我 | 喜欢 | 猫`');
    const predictAt = lines.indexOf('> /predict 我 喜欢 count:2');
    expect(predictAt).toBeGreaterThan(0);
    expect(lines.slice(predictAt).join('\n')).toMatch(/Next word after `我喜欢`\n猫\s+█{13}▍?\s+66\.7%\n狗\s+█{6}▋?\s+33\.3%/);
    expect(text).not.toContain('```');
    expect(text).toContain('> hello\nCommands start with `/`; try /help.');
    expect(text).toContain('> /nope\nUnknown command `/nope`.');
    expect([...services.sentences.values()].every((sentence) => sentence.guildId === 'local')).toBe(true);
  });

  it('waits for a retrain to finish, printing its summary and the saved chart path', async () => {
    const services = new FakeServices();
    const text = await runPiped('/retrain\n/stats\n', services, 'zh-CN', async () => {
      await vi.waitFor(() => expect(services.runs).toHaveLength(1));
      services.runs[0]?.report(1, 1, 5, 10);
      services.runs[0]?.finish({
        status: 'succeeded', runId: 1, modelVersion: 2, promoted: true, sentences: 9, vocabularySize: 12,
        finalLoss: 2, seconds: 3, history: [{ epoch: 1, trainLoss: 2 }],
      });
    });
    expect(text.indexOf('训练完成')).toBeGreaterThan(text.indexOf('> /retrain'));
    expect(text.indexOf('> /stats')).toBeGreaterThan(text.indexOf('训练完成'));
    const saved = /\[文件 loss\.png：(.+\.png)\]/.exec(text)?.[1];
    expect(saved).toBeDefined();
    expect(fs.readFileSync(saved ?? '').subarray(1, 4).toString()).toBe('PNG');
  });

  it('lists the commands with their options on /help and stops at /exit', async () => {
    const services = new FakeServices();
    const text = await runPiped('/help\n/exit\n/teach never taught\n', services, 'zh-TW');
    expect(text).toContain('/predict  顯示一段文字之後最可能出現的下一個詞');
    expect(text).toMatch(/ {6}text  要接著往下預測的詞\n {6}\[count\]  顯示幾個候選詞（1-10）/);
    expect(text).not.toContain('never taught');
    expect(services.sentences.size).toBe(0);
  });

  it('explains a missing or invalid option in the console’s language', async () => {
    const text = await runPiped('/predict\n/predict 我 count:11\n/forget all:maybe\n', new FakeServices(), 'zh-CN');
    expect(text).toContain('/predict 需要 `text`；试试 /help。');
    expect(text).toContain('`count` 需要：1 到 10 之间的整数。');
    expect(text).toContain('`all` 需要：true 或 false。');
  });

  it('runs a subcommand typed after its command, lists subcommands on /help, and asks for one when missing', async () => {
    const services = new FakeServices();
    const text = await runPiped('/teach 我 喜欢 猫\n/sentences\n/sentences export\n/sentences list 1\n/help\n', services, 'en');
    expect(text).toContain('/sentences needs one of `list`, `export` first; try /help.');
    const exported = /> \/sentences export\n(.*)\n\[file my-sentences-local\.txt: (.+)\]/.exec(text);
    expect(exported?.[1]).toBe('The 1 sentence you taught in this server, one per line.');
    expect(fs.readFileSync(exported?.[2] ?? '', 'utf8')).toBe('我 喜欢 猫\n');
    expect(text).toMatch(/> \/sentences list 1\nSentences, page 1\/1 \(1 in all\)/);
    expect(text).toMatch(/ {6}list  List recently taught sentences with their ids\n {10}\[page\]  Page number/);
    expect(text).toMatch(/ {6}export  Get the sentences you taught in this server as a text file, privately\n {10}\[scope\]/);
  });
});
