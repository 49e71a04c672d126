/**
 * What a figure was measured on, printed with every result: timings mean little without it.
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../../src/lm/backend.ts';

/** The machine and engine a benchmark ran on. */
export interface MachineDescription {
  cpu: string;
  /** Logical cores available to this process. */
  cores: number;
  node: string;
  tfjs: string;
  /** The TensorFlow.js backend actually in use. */
  backend: BackendName;
  platform: string;
  /** 1-minute load average when the benchmark started: above the core count, others were busy too. */
  loadAverage1m: number;
}

/** Describes the machine; `backend` is what `initBackend` returned. */
export function describeMachine(backend: BackendName): MachineDescription {
  return {
    cpu: cpuModel(),
    cores: os.availableParallelism(),
    node: process.version,
    tfjs: tf.version.tfjs,
    backend,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage1m: loadAverage(),
  };
}

/** One line naming the machine, for human-readable summaries. */
export function machineLine(machine: MachineDescription): string {
  return `${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, tfjs ${machine.tfjs} (${machine.backend}), load ${machine.loadAverage1m}`;
}

/** The current 1-minute load average. */
export function loadAverage(): number {
  return Number(os.loadavg()[0]!.toFixed(2));
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1] !== undefined) return match[1].trim();
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
}
