/**
 * Who works on a claimed training run. A run records the process that claimed it, so that a
 * process starting up can tell a run cut short by a crash from one that another process (a
 * command-line `train` while the bot restarts, say) is still working on.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';

/**
 * This process as a run owner: `host/pid/nonce`. The nonce tells this process from an earlier
 * one that had the same pid, as happens when a container restarts.
 */
export const PROCESS_RUN_OWNER = `${os.hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;

/**
 * Whether the process named by `owner` is known to have ended: it ran on this host and its pid is
 * either gone or now ours. A process on another host, or an unreadable owner, cannot be checked
 * here (only its heartbeat tells).
 */
export function runOwnerHasEnded(owner: string): boolean {
  const match = /^(.*)\/(\d+)\/[^/]+$/.exec(owner);
  if (match === null || match[1] !== os.hostname()) return false;
  const pid = Number(match[2]);
  if (pid === process.pid) return owner !== PROCESS_RUN_OWNER;
  try {
    // Signal 0 checks that the process exists without disturbing it.
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
