/**
 * Chooses and starts the TensorFlow.js backend the language model runs on.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { errorMessage } from '../errors.ts';
import { installWasmKernelFixes } from './engine/wasm-kernels.ts';

/** The engines the model can run on, fastest first. */
export type BackendName = 'node' | 'wasm' | 'cpu';

const BACKEND_NAMES: readonly BackendName[] = ['node', 'wasm', 'cpu'];

/** tfjs registers the native binding under the name 'tensorflow'. */
const TFJS_NAME: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

/** A backend that was asked for explicitly could not be started. */
export class BackendError extends Error {
  override name = 'BackendError';
}

let active: BackendName | undefined;
let queue: Promise<unknown> = Promise.resolve();

/**
 * Starts a backend and returns the one actually in use (callers should log it).
 *
 * Order: `preferred`, else the `TF_BACKEND` environment variable, else the first of `node`
 * (`@tensorflow/tfjs-node`, an optional dependency that is often missing), `wasm`, `cpu` that
 * starts. An explicitly requested backend that fails is an error, never a silent fallback.
 * Idempotent: once a backend runs, later calls without an explicit request return it.
 */
export function initBackend(preferred?: BackendName): Promise<BackendName> {
  // Calls are serialised: two concurrent callers must not race two backends into place.
  const result = queue.then(() => selectBackend(preferred));
  queue = result.catch(() => undefined);
  return result;
}

/** The backend started by {@link initBackend}, if any. */
export function activeBackend(): BackendName | undefined {
  return active;
}

async function selectBackend(preferred: BackendName | undefined): Promise<BackendName> {
  const requested = preferred ?? backendFromEnvironment();
  if (requested !== undefined) {
    if (active === requested && tf.getBackend() === TFJS_NAME[requested]) return requested;
    const failure = await startBackend(requested);
    if (failure !== undefined) {
      throw new BackendError(`The TensorFlow.js backend "${requested}" could not be started: ${failure}`);
    }
    return requested;
  }
  if (active !== undefined) return active;
  const failures: string[] = [];
  for (const name of BACKEND_NAMES) {
    const failure = await startBackend(name);
    if (failure === undefined) return name;
    failures.push(`${name}: ${failure}`);
  }
  throw new BackendError(`No TensorFlow.js backend could be started (${failures.join('; ')})`);
}

function backendFromEnvironment(): BackendName | undefined {
  const value = process.env['TF_BACKEND']?.trim().toLowerCase();
  if (value === undefined || value === '') return undefined;
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new BackendError(`TF_BACKEND="${value}" is not one of ${BACKEND_NAMES.join(', ')}`);
}

/** Starts one backend; returns why it failed, or undefined on success. */
async function startBackend(name: BackendName): Promise<string | undefined> {
  try {
    if (name === 'node') {
      // A variable specifier: the package is optional and has no types when absent.
      const nodeBinding = '@tensorflow/tfjs-node';
      await import(nodeBinding);
    } else if (name === 'wasm') {
      prepareWasm();
    }
    const switched = await tf.setBackend(TFJS_NAME[name]);
    // setBackend can report false, or even true while staying elsewhere: trust getBackend only.
    if (!switched || tf.getBackend() !== TFJS_NAME[name]) return 'tf.setBackend did not switch to it';
    active = name;
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}

let wasmPrepared = false;

function prepareWasm(): void {
  if (wasmPrepared) return;
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  setWasmPaths(`${packageDir}${path.sep}dist${path.sep}`);
  installWasmKernelFixes();
  wasmPrepared = true;
}
