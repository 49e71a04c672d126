/**
 * Why a run failed, in words a member may see. A run's stored error is for operators (the logs,
 * the command line): it can name files, modules and internals. Members are shown its cause from
 * this short list, with the run's id as the reference an operator looks up.
 *
 * @module
 */
import { INTERRUPTED } from './runner.ts';

/** The causes a member is told, from the run's stored error. */
export const RUN_FAILURE_CAUSES = ['interrupted', 'out_of_memory', 'diverged', 'no_sentences', 'crashed', 'internal'] as const;

/** Why a run failed, as members are told. */
export type RunFailureCause = (typeof RUN_FAILURE_CAUSES)[number];

/** The cause of a stored run error; `internal` for anything not recognised. */
export function runFailureCause(error: string): RunFailureCause {
  if (error === INTERRUPTED) return 'interrupted';
  // A worker over its heap limit (ERR_WORKER_OUT_OF_MEMORY), or a wasm heap that cannot grow.
  if (/out of memory|memory limit|Memory\.grow|\bOOM\b/i.test(error)) return 'out_of_memory';
  if (/loss became/.test(error)) return 'diverged';
  if (/has no sentences to train on|there are no training sentences/.test(error)) return 'no_sentences';
  if (/^training worker (failed|exited)/.test(error)) return 'crashed';
  return 'internal';
}
