/**
 * Backups the running bot makes of its own database every `BACKUP_EVERY_HOURS` into `BACKUP_DIR`,
 * keeping the newest `BACKUP_KEEP`.
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BackupReport } from '../store/index.ts';

/** Where and how often. */
export interface BackupSchedule {
  dir: string;
  everyHours: number;
  /** Backups kept; older ones are deleted after each new one. */
  keep: number;
}

/** Running scheduled backups. */
export interface ScheduledBackups {
  /** Makes a backup now (the timer's work), then deletes the oldest beyond `keep`. */
  runOnce(): Promise<BackupReport>;
  /** Stops the timer and waits for a backup under way. */
  stop(): Promise<void>;
}

/** `bot-20261203-093000123.sqlite` (UTC, to the millisecond): sorting the names sorts the backups by time. */
const BACKUP_NAME = /^bot-\d{8}-\d{9}\.sqlite$/;

function backupName(now: Date): string {
  return `bot-${now.toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 18)}.sqlite`;
}

/**
 * Starts making backups with `backup` (the store's online backup) every `everyHours`, the first
 * one interval after the start. A failed backup is logged and the schedule goes on.
 */
export function scheduleBackups(backup: (file: string) => Promise<BackupReport>, schedule: BackupSchedule, logger: Logger): ScheduledBackups {
  let running: Promise<void> | undefined;

  const runOnce = async (): Promise<BackupReport> => {
    fs.mkdirSync(schedule.dir, { recursive: true });
    const report = await backup(path.join(schedule.dir, backupName(new Date())));
    const backups = fs.readdirSync(schedule.dir).filter((name) => BACKUP_NAME.test(name)).sort();
    for (const old of backups.slice(0, Math.max(0, backups.length - schedule.keep))) fs.rmSync(path.join(schedule.dir, old), { force: true });
    logger.info({ file: report.file, bytes: report.bytes }, 'database backed up');
    return report;
  };

  const timer = setInterval(() => {
    // A backup still running when the next is due (a very slow disk) is not doubled.
    if (running !== undefined) return;
    running = runOnce()
      .then(
        () => undefined,
        (error: unknown) => logger.error({ err: error, dir: schedule.dir }, `scheduled backup failed: ${errorMessage(error)}`),
      )
      .finally(() => {
        running = undefined;
      });
  }, schedule.everyHours * 3_600_000);
  timer.unref();

  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
