/**
 * Runs the PyTorch reference script (`torch-reference.py`, kept outside the product) as a child
 * process and reads its one-line JSON result, and the CPU time its training took (through
 * `bench/cpu-time.py`, which runs the script unchanged).
 *
 * @module
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './scenario.ts';

/** The wrapper that notes the reference's CPU time at each of its own wall-clock readings. */
const CPU_TIME_WRAPPER = fileURLToPath(new URL('../cpu-time.py', import.meta.url));
const CPU_TIME_LINE = 'cpu-time: ';

/** Where Debian's `libopenblas0-pthread` puts its BLAS; without it PyTorch uses a ~10x slower BLAS. */
const OPENBLAS_DIR = '/usr/lib/x86_64-linux-gnu/openblas-pthread';
/** How to get the reference's setup on Debian. */
export const REFERENCE_INSTALL = 'apt-get install -y python3-torch libopenblas0-pthread';
/**
 * The interpreter of Debian's `python3-torch`, the setup the script documents; a `python3` found
 * first on the PATH (a virtualenv, pyenv) usually lacks torch.
 */
export const DEFAULT_PYTHON = '/usr/bin/python3';

/** The settings the reference is run with (its own option names). */
export interface ReferenceSettings {
  vocab: number;
  emb: number;
  hidden: number;
  batch: number;
  epochs: number;
  maxLen: number;
  lr: number;
  /** Sampled-softmax size; only a reference script that implements it accepts it (and echoes it). */
  sampled?: number | undefined;
}

/** The JSON line the reference prints (the fields this benchmark reads). */
export interface ReferenceResult {
  torch: string;
  /**
   * The BLAS libraries the reference process mapped (`openblas-pthread/libblas.so.3`, ...); older
   * scripts do not report it.
   */
  blas?: string;
  /** The sampled-softmax size the script trained with, when it implements one. */
  sampled?: number;
  threads: number;
  vocab: number;
  train_sentences: number;
  /** Tokens of the training split after truncation to `--max-len`: each a target once per epoch. */
  train_tokens: number;
  tokens_per_s: number[];
  tokens_per_s_median: number;
  train_loss: number[];
  heldout_perplexity: number;
  heldout_top1: number;
  heldout_top5: number;
  predict_ms_p50: number;
  peak_rss_mb: number;
}

/** A finished reference run. */
export interface ReferenceRun {
  /** The command as one could paste it into a shell. */
  command: string;
  /** Wall time of the child process, start-up and evaluation included. */
  seconds: number;
  /**
   * CPU seconds (user + system, every thread) of the reference's training epochs, the sections its
   * tokens/s time on the wall clock; start-up, evaluation and prediction left out.
   */
  trainingCpuSeconds: number;
  /** CPU seconds of the whole child process. */
  processCpuSeconds: number;
  result: ReferenceResult;
}

/**
 * The reference's CPU seconds in its training epochs, from the wrapper's stderr line: the script
 * reads the wall clock at the start and end of each epoch before any other reading, so marks
 * 2e and 2e + 1 bracket epoch e.
 */
export function referenceCpuTime(stderr: string, epochs: number): { trainingCpuSeconds: number; processCpuSeconds: number } | undefined {
  const line = stderr.split('\n').reverse().find((text) => text.startsWith(CPU_TIME_LINE));
  if (line === undefined) return undefined;
  const { marks, process_cpu_seconds: processCpuSeconds } = JSON.parse(line.slice(CPU_TIME_LINE.length)) as { marks: number[]; process_cpu_seconds: number };
  if (marks.length < 2 * epochs) return undefined;
  let trainingCpuSeconds = 0;
  for (let epoch = 0; epoch < epochs; epoch++) trainingCpuSeconds += (marks[2 * epoch + 1] as number) - (marks[2 * epoch] as number);
  return { trainingCpuSeconds, processCpuSeconds };
}

/**
 * Why a reference result cannot be compared with, or undefined when it can: a PyTorch that ran on
 * another BLAS than OpenBLAS (Debian's reference BLAS is about ten times slower), or a sampled
 * softmax other than the one asked for.
 */
export function referenceProblem(result: ReferenceResult, settings: ReferenceSettings): string | undefined {
  if (result.blas === undefined) {
    return `the reference does not report which BLAS it ran on ("blas" in its JSON): use a torch-reference.py that does`;
  }
  if (!/openblas/i.test(result.blas)) {
    return `the reference ran on ${result.blas}, not OpenBLAS: about ten times too slow to compare with. Install OpenBLAS: ${REFERENCE_INSTALL}`;
  }
  if ((result.sampled ?? undefined) !== settings.sampled) {
    return `the reference trained with ${result.sampled === undefined ? 'the full softmax' : `a sampled softmax of ${result.sampled}`}, not ${settings.sampled === undefined ? 'the full softmax' : `a sampled softmax of ${settings.sampled}`}`;
  }
  return undefined;
}

/**
 * Fails early, before any training, when the reference cannot run as prescribed: no OpenBLAS
 * installed, or no such script.
 */
export function checkReferenceSetup(script: string): void {
  if (!fs.existsSync(script)) throw new UsageError(`no reference script at ${script}`);
  if (!fs.existsSync(path.join(OPENBLAS_DIR, 'libblas.so.3'))) {
    throw new UsageError(`OpenBLAS is not installed (${OPENBLAS_DIR}): the reference would run on a BLAS about ten times slower. Install it: ${REFERENCE_INSTALL}`);
  }
}

/**
 * Runs `python script corpus --vocab .. ` single-threaded on OpenBLAS, as the script's docstring
 * prescribes, inside `bench/cpu-time.py` (which leaves the script and its output unchanged). Rejects with the child's stderr when it fails or prints no JSON, and with
 * {@link referenceProblem} when its figure is not comparable.
 */
export function runTorchReference(
  script: string,
  corpus: string,
  settings: ReferenceSettings,
  python = DEFAULT_PYTHON,
): Promise<ReferenceRun> {
  const args = [
    CPU_TIME_WRAPPER,
    path.resolve(script),
    path.resolve(corpus),
    ...Object.entries({
      '--vocab': settings.vocab,
      '--emb': settings.emb,
      '--hidden': settings.hidden,
      '--batch': settings.batch,
      '--epochs': settings.epochs,
      '--max-len': settings.maxLen,
      '--lr': settings.lr,
      '--threads': 1,
      ...(settings.sampled === undefined ? {} : { '--sampled': settings.sampled }),
    }).flatMap(([flag, value]) => [flag, String(value)]),
  ];
  const libraryPath = [OPENBLAS_DIR, process.env['LD_LIBRARY_PATH']].filter(Boolean).join(':');
  const env = { ...process.env, LD_LIBRARY_PATH: libraryPath, OPENBLAS_NUM_THREADS: '1' };
  const command = `LD_LIBRARY_PATH=${libraryPath} OPENBLAS_NUM_THREADS=1 ${python} ${args.join(' ')}`;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => reject(new Error(`cannot start ${python}: ${error.message}`)));
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`the reference failed (exit code ${code}): ${stderr.trim().split('\n').slice(-5).join(' | ') || 'no output'}`));
        return;
      }
      const result = JSON.parse(line) as ReferenceResult;
      const problem = referenceProblem(result, settings);
      const cpu = referenceCpuTime(stderr, settings.epochs);
      if (problem !== undefined) reject(new Error(problem));
      else if (cpu === undefined) reject(new Error(`the reference did not time ${settings.epochs} epoch(s) on the wall clock: no CPU time to report`));
      else resolve({ command, seconds, ...cpu, result });
    });
  });
}
