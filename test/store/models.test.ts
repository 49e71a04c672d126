import { expect, it } from 'vitest';
import { StoreError } from '../../src/store/errors.ts';
import { migrate, migrations } from '../../src/store/migrations.ts';
import type { StoredModel } from '../../src/store/types.ts';
import { describeEachBackend, model } from './helpers.ts';

function weightBytes(stored: StoredModel | undefined): number[] {
  if (!stored) throw new Error('expected a stored model');
  return Array.from(new Uint8Array(stored.weights));
}

describeEachBackend('models', ({ backend, open, location, connect }) => {
  it('numbers versions per guild and returns exactly what was stored', () => {
    const store = open();
    expect(store.saveModel(model('g1', 3), { promote: true })).toEqual({ id: 1, version: 1 });
    expect(store.saveModel(model('g2', 4), { promote: true })).toMatchObject({ version: 1 });
    expect(store.saveModel(model('g1', 9), { promote: false })).toMatchObject({ version: 2 });

    const input = model('g1', 9);
    const stored = store.getModel('g1', 2);
    expect(stored).toMatchObject({
      guildId: 'g1',
      version: 2,
      status: 'archived',
      topology: input.topology,
      vocabulary: input.vocabulary,
      hyperparameters: input.hyperparameters,
      metrics: input.metrics,
      corpusSentences: 9,
      corpusRevision: 9,
      weightsBytes: 12,
      note: null,
    });
    expect(stored?.weights).toBeInstanceOf(ArrayBuffer);
    const expected = new Uint8Array(Float32Array.of(9, 9.5, -9).buffer);
    expect(weightBytes(stored)).toEqual(Array.from(expected));
    expect(store.getModel('g2', 2)).toBeUndefined();
  });

  it('stores weights given as an ArrayBuffer or a view into a larger buffer', () => {
    const store = open();
    const whole = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    store.saveModel({ ...model('g1', 1), weights: whole.buffer }, { promote: true });
    store.saveModel({ ...model('g1', 2), weights: whole.subarray(2, 5) }, { promote: true });

    expect(weightBytes(store.getModel('g1', 1))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(weightBytes(store.getModel('g1', 2))).toEqual([3, 4, 5]);
  });

  it('serves the promoted model and archives the one it replaces', () => {
    const store = open();
    expect(store.servingModel('g1')).toBeUndefined();
    store.saveModel(model('g1', 1), { promote: true });
    store.saveModel(model('g1', 2), { promote: true });
    store.saveModel(model('g1', 3), { promote: false, rejected: true });

    expect(store.servingModel('g1')?.version).toBe(2);
    expect(store.servingModelInfo('g1')?.corpusRevision).toBe(2);
    expect(store.listModels('g1').map((m) => [m.version, m.status])).toEqual([
      [3, 'rejected'],
      [2, 'serving'],
      [1, 'archived'],
    ]);
  });

  it('lists model metadata without the large payloads', () => {
    const store = open();
    store.saveModel({ ...model('g1', 1), note: 'first' }, { promote: true });
    const [info] = store.listModels('g1');
    expect(info).toMatchObject({ version: 1, note: 'first', weightsBytes: 12 });
    expect(info).not.toHaveProperty('weights');
    expect(info).not.toHaveProperty('topology');
    expect(info).not.toHaveProperty('vocabulary');
  });

  it('rolls back to an earlier version and forward again', () => {
    const store = open();
    for (const revision of [1, 2, 3]) store.saveModel(model('g1', revision), { promote: true });

    expect(store.promoteVersion('g1', 1)).toMatchObject({ version: 1, status: 'serving' });
    expect(store.servingModel('g1')?.corpusRevision).toBe(1);
    expect(store.listModels('g1').filter((m) => m.status === 'serving')).toHaveLength(1);

    expect(store.promoteVersion('g1', 3)?.status).toBe('serving');
    expect(store.getModel('g1', 1)?.status).toBe('archived');
    expect(store.promoteVersion('g1', 3)?.version).toBe(3);
    expect(store.promoteVersion('g1', 42)).toBeUndefined();
    expect(store.promoteVersion('g2', 3)).toBeUndefined();
    expect(store.servingModel('g1')?.version).toBe(3);
  });

  it('keeps at most N models, dropping the oldest non-serving ones', () => {
    const store = open();
    for (let revision = 1; revision <= 7; revision += 1) {
      store.saveModel(model('g1', revision), { promote: true, keepVersions: 3 });
    }
    expect(store.listModels('g1').map((m) => m.version)).toEqual([7, 6, 5]);
    expect(store.listModels('g1').length).toBe(3);
  });

  it('never prunes the serving model, even when it is the oldest', () => {
    const store = open();
    for (let revision = 1; revision <= 3; revision += 1) {
      store.saveModel(model('g1', revision), { promote: true, keepVersions: 3 });
    }
    store.promoteVersion('g1', 1);
    for (let revision = 4; revision <= 6; revision += 1) {
      store.saveModel(model('g1', revision), { promote: false, keepVersions: 3 });
    }
    expect(store.listModels('g1').map((m) => [m.version, m.status])).toEqual([
      [6, 'archived'],
      [5, 'archived'],
      [1, 'serving'],
    ]);
    expect(store.servingModel('g1')?.corpusRevision).toBe(1);
  });

  it('never reuses a version number after pruning', () => {
    const store = open();
    for (let revision = 1; revision <= 4; revision += 1) {
      store.saveModel(model('g1', revision), { promote: true, keepVersions: 1 });
    }
    expect(store.listModels('g1').map((m) => m.version)).toEqual([4]);
    expect(store.saveModel(model('g1', 5), { promote: true })).toMatchObject({ version: 5 });
  });

  it('leaves training runs in place when their model is pruned', () => {
    const store = open();
    const { run } = store.enqueueRun('g1', { kind: 'full', trigger: 'command' });
    const first = store.saveModel(model('g1', 1), { promote: true, keepVersions: 1 });
    store.finishRun(run.id, { status: 'succeeded', modelId: first.id });
    store.saveModel(model('g1', 2), { promote: true, keepVersions: 1 });

    expect(store.getModel('g1', 1)).toBeUndefined();
    expect(store.getRun(run.id)).toMatchObject({ status: 'succeeded', modelId: null });
  });

  it('keeps payloads out of the metadata rows, and moves those of a database from before', () => {
    const file = location();
    const old = connect(file);
    migrate(old, migrations.filter((step) => step.version <= 2));
    old.prepare("INSERT INTO guilds (id, last_model_version, created_at) VALUES ('g1', 1, 0)").run();
    old
      .prepare(
        `INSERT INTO models (guild_id, version, status, topology, weights, vocabulary, hyperparameters,
                             metrics, corpus_sentences, corpus_revision, created_at)
         VALUES ('g1', 1, 'serving', '{"layers":1}', ?, '["<pad>","<unk>","hi"]', '{}', '{}', 4, 4, 0)`,
      )
      .run(Buffer.from([1, 2, 3, 4]));

    const store = open(file);
    expect(store.servingModel('g1')).toMatchObject({ version: 1, topology: { layers: 1 }, vocabulary: ['<pad>', '<unk>', 'hi'], weightsBytes: 4 });
    expect(weightBytes(store.servingModel('g1'))).toEqual([1, 2, 3, 4]);
    store.saveModel(model('g1', 2), { promote: true, keepVersions: 1 });
    store.close();

    const db = connect(file);
    const columns = db
      .prepare(
        backend === 'sqlite'
          ? "SELECT name FROM pragma_table_info('models')"
          : "SELECT column_name FROM information_schema.columns WHERE table_name = 'models'",
      )
      .pluck()
      .all();
    expect(columns).toContain('corpus_revision');
    expect(columns).not.toEqual(expect.arrayContaining(['weights']));
    expect(columns).not.toEqual(expect.arrayContaining(['topology']));
    // Pruning version 1 took its payload with it.
    expect(db.prepare('SELECT count(*) FROM model_payloads').pluck().get()).toBe(1);
  });

  it('refuses contradictory or invalid save options', () => {
    const store = open();
    const input = model('g1', 1);
    expect(() => store.saveModel(input, { promote: true, rejected: true })).toThrow(StoreError);
    expect(() => store.saveModel(input, { promote: true, keepVersions: 0 })).toThrow(StoreError);
    expect(store.listModels('g1')).toEqual([]);
  });
});
