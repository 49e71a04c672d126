import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import { runTrainingJob } from '../../src/training/job.ts';
import { TINY_CORPUS, teachSentences } from './corpus.ts';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const script = fileURLToPath(new URL('../support/training-service-process.ts', import.meta.url));

let dir: string;
let dbPath: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'training-crash-'));
  dbPath = path.join(dir, 'bot.sqlite');
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

interface ChildEvent {
  event: string;
  [key: string]: unknown;
}

/** Starts the service process; `onEvent` sees each JSON line it prints. */
function startProcess(options: object, onEvent: (event: ChildEvent, child: ChildProcess) => void) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, dbPath, JSON.stringify(options)], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => onEvent(JSON.parse(line) as ChildEvent, child));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, exited };
}

it('recovers from a crash mid-training: the run is requeued, the old model served, no sentence lost', async () => {
  const store = openStore(dbPath);
  teachSentences(store, 'g', TINY_CORPUS);
  store.enqueueRun('g', { kind: 'full', trigger: 'cli' });
  const first = await runTrainingJob(store, store.claimNextRun()!, { settings: { budgetMinutes: 1 } });
  expect(first).toMatchObject({ status: 'succeeded', modelVersion: 1 });
  store.close();

  // 1. A process trains with an endless number of epochs and is killed once training runs.
  let training: ChildEvent | undefined;
  const crashed = startProcess(
    { maxEpochs: 100_000, retrainGuild: 'g', teachWhenTraining: { guildId: 'g', text: '猫 喜欢 吃 鱼 。' } },
    (event, child) => {
      if (event.event !== 'training') return;
      training = event;
      child.kill('SIGKILL');
    },
  );
  const crash = await crashed.exited;
  expect(crash.signal, crash.stderr).toBe('SIGKILL');
  expect(training?.taught).toMatchObject({ status: 'added' });
  const interruptedRunId = training!.runId as number;

  const afterCrash = openStore(dbPath);
  expect(afterCrash.getRun(interruptedRunId)?.status).toBe('running');
  expect(afterCrash.servingModelInfo('g')?.version).toBe(1);
  expect(afterCrash.countSentences('g')).toBe(TINY_CORPUS.length + 1);
  afterCrash.close();

  // 2. On restart the interrupted run is failed and queued again, and the new run completes.
  let finished: ChildEvent | undefined;
  const restarted = startProcess({ maxEpochs: 20 }, (event) => {
    if (event.event === 'finished') finished = event;
  });
  const restart = await restarted.exited;
  expect(restart.code, restart.stderr).toBe(0);
  expect(finished?.result).toMatchObject({ status: 'succeeded', modelVersion: 2, promoted: true });

  const reopened = openStore(dbPath);
  try {
    expect(reopened.getRun(interruptedRunId)).toMatchObject({ status: 'failed', error: 'interrupted' });
    const [latest] = reopened.latestRuns('g', 1);
    expect(latest).toMatchObject({ status: 'succeeded', kind: 'full', requestedBy: 'operator' });
    expect(latest!.id).toBe((finished!.result as { runId: number }).runId);
    expect(reopened.servingModelInfo('g')).toMatchObject({ version: 2, corpusSentences: TINY_CORPUS.length + 1 });
    expect(reopened.countSentences('g')).toBe(TINY_CORPUS.length + 1);
  } finally {
    reopened.close();
  }
});
