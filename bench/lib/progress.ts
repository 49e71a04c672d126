/**
 * Progress of long runs on stderr, so that stdout holds only the result.
 *
 * @module
 */

/**
 * A reporter that writes the line built by its argument to stderr at most once per
 * `intervalMs`; the line is only built when it is written.
 */
export function throttledProgress(intervalMs = 10_000): (line: () => string) => void {
  let last = performance.now();
  return (line) => {
    if (performance.now() - last < intervalMs) return;
    last = performance.now();
    process.stderr.write(`${line()}\n`);
  };
}
