import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-bot-cli-'));
const db = path.join(directory, 'bot.sqlite');

/** Runs the command line in-process and captures what it prints. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  const code = await main([...args, '--db', db], sink((t) => (out += t)), sink((t) => (err += t)));
  return { code, out, err };
}

function file(name: string, content: string | Buffer): string {
  const target = path.join(directory, name);
  fs.writeFileSync(target, content);
  return target;
}

/** Rows of a table, read with a separate connection: what is on disk, not what the CLI says. */
function count(table: string): number {
  const connection = new Database(db, { readonly: true });
  try {
    return (connection.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    connection.close();
  }
}

afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

describe('the command line', () => {
  beforeAll(async () => {
    const corpus = file('seed.txt', '我 喜欢 玩具\n我 爱 爸爸\n\n我 讨厌 挨打\n我 爱 爸爸\n<@123456789012345678> https://x.y\n');
    const imported = await cli('import', corpus);
    expect(imported).toMatchObject({ code: 0, out: 'added 3, skipped 1 blank, 1 no words, 1 duplicate\n' });
  });

  it('refuses to predict before a model exists, with one clear line', async () => {
    const result = await cli('predict', '我', '喜欢');
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/no trained model yet/);
    expect(result.err.trim().split('\n')).toHaveLength(1);
  });

  it('trains in a worker, stores a version and predicts the seed sentences, spaced or not', async () => {
    const trained = await cli('train', '--seed', '7');
    expect(trained.code).toBe(0);
    expect(trained.out).toMatch(/model v1: 3 sentences/);
    expect(trained.out).toMatch(/now serving/);
    expect(count('models')).toBe(1);

    const spaced = await cli('predict', '我 讨厌', '--json', '--k', '3');
    const prediction = JSON.parse(spaced.out) as { tokens: string[]; unknown: string[]; predictions: { word: string; probability: number }[]; model: { version: number } };
    expect(prediction.tokens).toEqual(['我', '讨厌']);
    expect(prediction.unknown).toEqual([]);
    expect(prediction.predictions).toHaveLength(3);
    expect(prediction.predictions[0]?.word).toBe('挨打');
    expect(prediction.model.version).toBe(1);

    const unspaced = JSON.parse((await cli('predict', '我喜欢', '--json')).out) as typeof prediction;
    expect(unspaced.predictions[0]?.word).toBe('玩具');
  });

  it('evaluates held-out text against the Kneser-Ney baseline as one JSON object', async () => {
    const heldOut = file('held-out.txt', '我 爱 爸爸\n我 喜欢 爸爸\n');
    const result = await cli('eval', heldOut, '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.out) as Record<string, unknown> & {
      lstm: Record<string, number>;
      kneserNey3: Record<string, number>;
      mix: Record<string, number>;
    };
    expect(Object.keys(report).sort()).toEqual(['kneserNey3', 'lstm', 'mix', 'oovRate', 'sentences', 'served', 'tokens']);
    // Three sentences leave none for validation: nothing to compare on, the LSTM answers, and
    // the mixture is the LSTM alone.
    expect(report['served']).toBe('lstm');
    expect(report.mix).toEqual({ ...report.lstm, lambda: 1, combination: 'linear' });
    expect(report['sentences']).toBe(2);
    expect(report['tokens']).toBe(8); // three words and the end of each sentence
    for (const model of [report.lstm, report.kneserNey3, report.mix]) {
      expect(model['perplexity']).toBeGreaterThan(1);
      expect(Number.isFinite(model['perplexity'])).toBe(true);
      expect(model['top1']).toBeGreaterThanOrEqual(0);
      expect(model['top5']).toBeGreaterThanOrEqual(model['top1']!);
    }
  });

  it('reports corpus and model figures', async () => {
    const stats = JSON.parse((await cli('stats', '--json')).out) as { sentences: number; vocabularySize: number; model: { version: number } };
    expect(stats).toMatchObject({ sentences: 3, model: { version: 1 } });
    expect(stats.vocabularySize).toBe(4 + 7);
  });

  it('rolls back to an earlier version', async () => {
    expect((await cli('train', '--epochs', '2')).code).toBe(0);
    const models = JSON.parse((await cli('models', '--json')).out) as { version: number; status: string }[];
    expect(models.map((m) => m.version).sort()).toEqual([1, 2]);
    expect(await cli('rollback', '1')).toMatchObject({ code: 0 });
    const after = JSON.parse((await cli('predict', '我', '--json')).out) as { model: { version: number } };
    expect(after.model.version).toBe(1);
    expect((await cli('rollback', '9')).err).toMatch(/no model version 9/);
  });

  it('answers bad input with one line on stderr, a non-zero exit and nothing written', async () => {
    const before = count('sentences');
    const cases: [string[], RegExp][] = [
      [['import', path.join(directory, 'missing.txt')], /no such file/],
      [['import', file('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]))], /not valid UTF-8/],
      [['predict', '   '], /no words/],
      [['predict', 'zebra'], /none of the words are known/],
      [['stats', '--bogus'], /Unknown option '--bogus'/],
      [['predict', 'x', '--epochs', '3'], /does not take --epochs/],
      [['train', '--epochs', 'zero'], /--epochs must be an integer/],
      [['frobnicate'], /unknown command/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(...args);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.err, args.join(' ')).toMatch(message);
      expect(result.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(count('sentences')).toBe(before);
  });

  it('refuses to train an empty guild', async () => {
    const result = await cli('train', '--guild', 'empty-guild');
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/has no sentences yet/);
  });
});
