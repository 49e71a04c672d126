import { describe, expect, it } from 'vitest';
import type { BotServices } from '../../src/app/services.ts';
import type { InteractionReport } from '../../src/commands/dispatch.ts';
import { FakeServices } from '../support/fake-services.ts';
import { autocomplete, captureLogger, commandsWith, runLine, start } from '../support/run-command.ts';

/** Services whose every call fails, as a broken database would. */
function failingServices(): BotServices {
  const services = new FakeServices();
  services.teach = () => Promise.reject(new Error('database is locked'));
  services.predict = () => Promise.reject(new Error('model file is corrupt'));
  return services;
}

describe('command dispatch', () => {
  it('answers a command used in a direct message with the guild-only message', async () => {
    const services = new FakeServices();
    const running = await start('teach', { sentence: 'hello there' }, { services, guildId: null, locale: 'zh-TW' });
    await running.finished;
    expect(running.outputs).toHaveLength(1);
    expect(running.outputs[0]?.message.ephemeral).toBe(true);
    expect(running.outputs[0]?.text).toBe('這些指令只能在伺服器中使用：每個伺服器都訓練自己的模型。');
    expect(services.sentences.size).toBe(0);
  });

  it('answers an unknown command', async () => {
    const running = await start('dance', {}, { services: new FakeServices() });
    await running.finished;
    expect(running.outputs[0]?.text).toBe('Unknown command `/dance`.');
  });

  it('turns an exception into a private reply with a reference id that is also logged with the stack', async () => {
    const { logger, lines } = captureLogger();
    const [answer] = await runLine('/teach hello', { services: failingServices(), logger });
    expect(answer?.kind).toBe('reply');
    expect(answer?.message.ephemeral).toBe(true);
    const reference = /reference `([0-9a-f]{8})`/.exec(answer?.text ?? '')?.[1];
    expect(reference).toBeDefined();
    const logged = lines().find((line) => line.reference === reference);
    expect(logged).toMatchObject({ level: 50, msg: 'command failed', command: 'teach' });
    expect((logged?.err as { stack?: string }).stack).toContain('database is locked');
  });

  it('edits the deferred reply when a command fails after deferring, and keeps serving', async () => {
    const services = failingServices();
    const [failure] = await runLine('/predict 我', { services, locale: 'zh-CN' });
    expect(failure?.kind).toBe('edit');
    expect(failure?.text).toMatch(/^我这边出了点问题（参考编号 `[0-9a-f]{8}`），请稍后再试。$/);
    const [next] = await runLine('/sentences list', { services });
    expect(next?.text).toBe('No sentences yet.');
  });

  it('tells its observer how each interaction went, and when it was first answered', async () => {
    const reports: InteractionReport[] = [];
    const registry = await commandsWith({ observer: { interactionHandled: (report) => reports.push(report) } });
    await runLine('/teach hello there', { services: new FakeServices(), registry });
    await runLine('/predict 我', { services: failingServices(), registry });
    await (await start('teach', { sentence: 'hi' }, { services: new FakeServices(), guildId: null, registry })).finished;
    await (await start('dance', {}, { services: new FakeServices(), registry })).finished;
    await autocomplete('predict', 'text', 'he', { services: new FakeServices(), registry });
    expect(reports.map(({ command, kind, outcome }) => `${command} ${kind} ${outcome}`)).toEqual([
      'teach command ok',
      'predict command internal_error',
      'teach command guild_only',
      'unknown command unknown_command',
      'predict autocomplete ok',
    ]);
    for (const report of reports) {
      expect(report.answeredAfterSeconds).not.toBeNull();
      expect(report.seconds).toBeGreaterThanOrEqual(report.answeredAfterSeconds!);
    }
  });

  it('keeps answering when its observer throws, and logs it', async () => {
    const { logger, lines } = captureLogger();
    const registry = await commandsWith({ observer: { interactionHandled: () => { throw new Error('counter broke'); } } });
    const [answer] = await runLine('/teach hello there', { services: new FakeServices(), registry, logger });
    expect(answer?.text).toContain('hello | there');
    expect(lines()).toContainEqual(expect.objectContaining({ level: 40, msg: 'the interaction observer failed', command: 'teach' }));
  });
});
