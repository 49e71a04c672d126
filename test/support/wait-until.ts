/**
 * Polling for a state that another thread or process brings about.
 *
 * @module
 */

/** Whether `condition` held within `timeoutMs`, read every `intervalMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, intervalMs));
  return condition();
}
