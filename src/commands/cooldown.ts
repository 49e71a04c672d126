/**
 * The uses counted for the commands' cooldown rules ({@link CooldownRule}), kept by the
 * dispatcher: a sliding window per rule, keyed by member in a server or by server.
 *
 * @module
 */
import type { CooldownSettings, UseLimit } from './types.ts';

/**
 * A sliding-window rate limit per key, as in the discord.js guide's cooldowns, but allowing a
 * burst of `limit` uses per window instead of one.
 */
export class SlidingWindowLimit {
  private readonly uses = new Map<string, number[]>();
  private lastSweepAt: number;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.lastSweepAt = now();
  }

  /** How many keys have a use inside the window (at most; keys are swept once per window). */
  get trackedKeys(): number {
    return this.uses.size;
  }

  /** Records a use if allowed; otherwise says how long until the next one is. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterMs: number } {
    const now = this.now();
    this.sweep(now);
    const recent = (this.uses.get(key) ?? []).filter((time) => now - time < this.windowMs);
    if (recent.length >= this.limit) {
      this.uses.set(key, recent);
      return { allowed: false, retryAfterMs: recent[0]! + this.windowMs - now };
    }
    recent.push(now);
    this.uses.set(key, recent);
    return { allowed: true };
  }

  /** Gives back the last use of a key, for a use that turned out not to count. */
  refund(key: string): void {
    const uses = this.uses.get(key);
    uses?.pop();
    if (uses?.length === 0) this.uses.delete(key);
  }

  /**
   * Forgets the keys whose last use has left the window, once per window: every member who ever
   * used a command would otherwise keep an entry for the life of the process.
   */
  private sweep(now: number): void {
    if (now - this.lastSweepAt < this.windowMs) return;
    this.lastSweepAt = now;
    for (const [key, times] of this.uses) {
      if (times.length === 0 || now - times.at(-1)! >= this.windowMs) this.uses.delete(key);
    }
  }
}

/** Who is running a command, as cooldown keys need it. */
export interface CooldownSubject {
  guildId: string;
  userId: string;
}

/** The result of {@link CommandCooldowns.take}: the rule at its limit when refused. */
export type CooldownTake<Rule extends UseLimit> =
  | { allowed: true; refund(): void }
  | { allowed: false; rule: Rule; retryAfterMs: number };

/**
 * The windows of every command's cooldown rules, with the limits read from the configuration. A
 * window belongs to a rule declaration: a rule object shared by several commands counts their runs
 * together.
 */
export class CommandCooldowns {
  private readonly windows = new Map<UseLimit, SlidingWindowLimit>();

  /**
   * @param settings - the configured limits; without them no rule limits anything (tools and
   *   benchmarks that drive the commands directly).
   */
  constructor(
    private readonly settings: CooldownSettings | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts a run against every rule, or against none when one of them is at its limit. An allowed
   * take's `refund` gives the uses back, for a run that did not count.
   */
  take<Rule extends UseLimit>(rules: readonly Rule[], subject: CooldownSubject): CooldownTake<Rule> {
    const taken: { window: SlidingWindowLimit; key: string }[] = [];
    const refund = (): void => {
      for (const { window, key } of taken) window.refund(key);
    };
    for (const rule of rules) {
      const window = this.windowOf(rule);
      if (window === null) continue;
      const key = rule.per === 'member' ? `${subject.guildId}:${subject.userId}` : subject.guildId;
      const use = window.take(key);
      if (!use.allowed) {
        refund();
        return { allowed: false, rule, retryAfterMs: use.retryAfterMs };
      }
      taken.push({ window, key });
    }
    return { allowed: true, refund };
  }

  private windowOf(rule: UseLimit): SlidingWindowLimit | null {
    if (this.settings === undefined) return null;
    let window = this.windows.get(rule);
    if (window === undefined) {
      const windowMs = typeof rule.windowMs === 'number' ? rule.windowMs : rule.windowMs(this.settings);
      window = new SlidingWindowLimit(rule.limit(this.settings), windowMs, this.now);
      this.windows.set(rule, window);
    }
    return window;
  }
}
