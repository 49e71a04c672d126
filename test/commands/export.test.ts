/**
 * `/sentences export` on the real application (SQLite store): a member gets their own sentences
 * of this server and nothing of anyone else's; a moderator gets the whole server's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PermissionFlagsBits, PermissionsBitField } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app/create-app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { ALICE, BOB, GUILD, MEMBER, runLine, type Recorded } from '../support/run-command.ts';

const OTHER_GUILD = '444444444444444444';
const MODERATOR = new PermissionsBitField(PermissionFlagsBits.ManageGuild | PermissionFlagsBits.SendMessages);

let dir: string;
let app: App;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-bot-export-'));
  app = await createApp(loadConfig({ DB_PATH: path.join(dir, 'bot.sqlite'), TF_BACKEND: 'cpu' }), createLogger({ level: 'silent' }), { schedule: false });
  const teach = (guildId: string, authorId: string, text: string) =>
    app.services.teach({ guildId, channelId: null, authorId, text, source: 'discord' });
  await teach(GUILD, ALICE.id, 'alice likes green tea');
  await teach(GUILD, BOB.id, 'bob keeps a secret diary');
  await teach(GUILD, ALICE.id, '我 喜欢 猫');
  await teach(OTHER_GUILD, ALICE.id, 'alice elsewhere');
});

afterAll(async () => {
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The exported file's text and what the member was told. */
function fileOf(answers: Recorded[]): { text: string; name: string; content: string } {
  const answer = answers.find((recorded) => (recorded.message.files ?? []).length > 0);
  const file = answer?.message.files?.[0];
  if (answer === undefined || file === undefined) throw new Error(`no file in ${JSON.stringify(answers.map((a) => a.text))}`);
  return { text: file.data.toString('utf8'), name: file.name, content: answer.message.content ?? '' };
}

describe('/sentences export', () => {
  it('sends a member the sentences they taught in this server, one per line, and nothing else', async () => {
    const answers = await runLine('/sentences export', { services: app.services, user: ALICE, permissions: MEMBER });
    const { text, name, content } = fileOf(answers);
    expect(text).toBe('alice likes green tea\n我 喜欢 猫\n');
    expect(name).toBe(`my-sentences-${GUILD}.txt`);
    expect(content).toBe('The 2 sentences you taught in this server, one per line.');
    // Nothing of Bob's, nor of another server, nor anyone's id, in the file or the message.
    for (const recorded of answers) {
      const everything = `${recorded.text}\n${(recorded.message.files ?? []).map((file) => file.data.toString('utf8')).join('\n')}`;
      expect(everything).not.toContain('secret diary');
      expect(everything).not.toContain('elsewhere');
      expect(everything).not.toContain(BOB.id);
      expect(everything).not.toContain(ALICE.id);
    }
  });

  it('gives each member their own file, in each server where they taught', async () => {
    expect(fileOf(await runLine('/sentences export', { services: app.services, user: BOB, permissions: MEMBER })).text).toBe('bob keeps a secret diary\n');
    const elsewhere = await runLine('/sentences export', { services: app.services, user: ALICE, permissions: MEMBER, guildId: OTHER_GUILD });
    expect(fileOf(elsewhere).text).toBe('alice elsewhere\n');
  });

  it('says so to a member who taught nothing here, with no file', async () => {
    const answers = await runLine('/sentences export', { services: app.services, user: { id: '555555555555555555', name: 'carol' }, permissions: MEMBER, locale: 'zh-TW' });
    expect(answers.map((recorded) => recorded.text)).toEqual(['你還沒有在本伺服器教過句子。']);
    expect(answers.every((recorded) => (recorded.message.files ?? []).length === 0)).toBe(true);
  });

  it('refuses the whole server’s sentences to a member without Manage Server', async () => {
    const answers = await runLine('/sentences export scope:server', { services: app.services, user: ALICE, permissions: MEMBER, locale: 'zh-CN' });
    expect(answers).toHaveLength(1);
    expect(answers[0]?.message.ephemeral).toBe(true);
    expect(answers[0]?.message.content).toBe('只有拥有 **管理服务器** 权限的成员才能导出整个服务器的句子。');
    expect(answers[0]?.message.files ?? []).toEqual([]);
  });

  it('exports the whole server’s sentences for a moderator, without who taught them', async () => {
    const { text, name, content } = fileOf(await runLine('/sentences export scope:server', { services: app.services, user: BOB, permissions: MODERATOR }));
    expect(text).toBe('alice likes green tea\nbob keeps a secret diary\n我 喜欢 猫\n');
    expect(name).toBe(`sentences-${GUILD}.txt`);
    expect(content).toBe('All 3 sentences of this server, one per line, without who taught them.');
  });
});
