/**
 * `lstm-bot import` on the database a running bot uses: the import runs as the operator runs it, in
 * a process of its own, while this process writes through the store as the bot does.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { IMPORT_CHUNK_LINES } from '../../src/app/corpus-import.ts';
import { openStore } from '../../src/store/index.ts';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-bot-import-'));

afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

it('commits an import in chunks, so the bot writes in between and never times out on the lock', async () => {
  const db = path.join(directory, 'bot.sqlite');
  const corpus = path.join(directory, 'corpus.txt');
  const lines = Array.from({ length: 20 * IMPORT_CHUNK_LINES }, (_, index) => `imported sentence number ${index} of the operator's corpus`);
  fs.writeFileSync(corpus, `${lines.join('\n')}\n`);
  const store = openStore(db);
  try {
    const importer = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'import', corpus, '--db', db, '--guild', 'imported'], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    importer.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    importer.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => importer.on('exit', resolve));
    let running = true;
    void exited.then(() => (running = false));

    // What the bot does meanwhile: members teach, each sentence in its own write.
    const failures: string[] = [];
    let taught = 0;
    while (running) {
      try {
        store.addSentence({
          guildId: 'bot',
          channelId: null,
          authorId: 'member',
          text: `taught ${taught}`,
          tokens: ['taught', String(taught)],
          dedupeKey: `taught ${taught}`,
          source: 'discord',
        });
        taught += 1;
      } catch (error) {
        failures.push(String(error));
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }

    expect(await exited, output).toBe(0);
    expect(output).toBe(`added ${lines.length}, skipped 0\n`);
    expect(failures).toEqual([]);
    expect(store.countSentences('imported')).toBe(lines.length);
    // Sentence ids follow the order of commits: the bot's sentences fall between the import's.
    const importedIds = store.corpusEntries('imported').map((entry) => entry.id);
    const [first, last] = [Math.min(...importedIds), Math.max(...importedIds)];
    const between = store.corpusEntries('bot').filter((entry) => entry.id > first && entry.id < last);
    expect(between.length).toBeGreaterThan(0);
  } finally {
    store.close();
  }
}, 120_000);
