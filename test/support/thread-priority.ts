import fs from 'node:fs';
import os from 'node:os';

/** The nice value of every thread of this process (Linux: read from `/proc/self/task`). */
export function threadNiceValues(): number[] {
  return fs.readdirSync('/proc/self/task').map((tid) => {
    // The command name in parentheses may hold spaces: count the fields after it (nice is the 19th).
    const afterName = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!;
    return Number(afterName.split(' ')[16]);
  });
}

/** The nice value a thread that lowered itself to `nice` has, seen from the calling thread's. */
export const loweredTo = (nice: number): number => Math.max(os.getPriority(0), nice);
