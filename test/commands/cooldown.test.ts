import { describe, expect, it } from 'vitest';
import { CommandCooldowns, SlidingWindowLimit } from '../../src/commands/cooldown.ts';
import type { CooldownRule } from '../../src/commands/types.ts';
import { DEFAULT_COOLDOWNS } from '../../src/config.ts';

describe('SlidingWindowLimit', () => {
  it('allows a burst up to the limit per window, then says when to retry', () => {
    let now = 1_000;
    const cooldown = new SlidingWindowLimit(2, 60_000, () => now);
    expect(cooldown.take('g:u').allowed).toBe(true);
    now += 10_000;
    expect(cooldown.take('g:u').allowed).toBe(true);
    expect(cooldown.take('g:u')).toEqual({ allowed: false, retryAfterMs: 50_000 });
    expect(cooldown.take('g:other').allowed).toBe(true);
    now += 50_000;
    expect(cooldown.take('g:u').allowed).toBe(true);
  });

  it('forgets the members whose uses have left the window', () => {
    let now = 0;
    const cooldown = new SlidingWindowLimit(1, 60_000, () => now);
    for (let member = 0; member < 1000; member += 1) cooldown.take(`g:${member}`);
    expect(cooldown.trackedKeys).toBe(1000);
    now += 30_000;
    cooldown.take('g:late');
    expect(cooldown.trackedKeys).toBe(1001);
    now += 30_000;
    cooldown.take('g:later');
    // The thousand early uses have left the window; the two recent ones have not.
    expect(cooldown.trackedKeys).toBe(2);
    expect(cooldown.take('g:late').allowed).toBe(false);
    expect(cooldown.take('g:0').allowed).toBe(true);
  });

  it('gives back a refunded use', () => {
    const cooldown = new SlidingWindowLimit(1, 60_000, () => 0);
    cooldown.take('k');
    cooldown.refund('k');
    expect(cooldown.take('k').allowed).toBe(true);
  });
});

describe('CommandCooldowns', () => {
  const rule = (per: CooldownRule['per'], limit: number): CooldownRule => ({
    per,
    limit: () => limit,
    windowMs: 60_000,
    refusal: (_, seconds) => `wait ${seconds}`,
  });
  const alice = { guildId: 'g1', userId: 'alice' };
  const bob = { ...alice, userId: 'bob' };

  it('counts a member rule per member and server, and a server rule across its members', () => {
    const perMember = rule('member', 1);
    const perServer = rule('server', 2);
    const cooldowns = new CommandCooldowns({ teachCooldownPerMinute: 10, forgetCooldownPerMinute: 5, fullRetrainMinIntervalHours: 6, cooldowns: DEFAULT_COOLDOWNS }, () => 0);
    const rules = [perMember, perServer];
    expect(cooldowns.take(rules, alice).allowed).toBe(true);
    expect(cooldowns.take(rules, alice)).toMatchObject({ allowed: false, rule: perMember, retryAfterMs: 60_000 });
    expect(cooldowns.take(rules, { ...alice, guildId: 'g2' }).allowed).toBe(true);
    expect(cooldowns.take(rules, bob).allowed).toBe(true);
    expect(cooldowns.take(rules, { ...bob, userId: 'carol' })).toMatchObject({ allowed: false, rule: perServer });
  });

  it('takes nothing when one rule refuses, and gives every use back on refund', () => {
    const perMember = rule('member', 5);
    const perServer = rule('server', 1);
    const cooldowns = new CommandCooldowns({ teachCooldownPerMinute: 10, forgetCooldownPerMinute: 5, fullRetrainMinIntervalHours: 6, cooldowns: DEFAULT_COOLDOWNS }, () => 0);
    const first = cooldowns.take([perMember, perServer], alice);
    expect(cooldowns.take([perMember, perServer], bob).allowed).toBe(false);
    if (first.allowed) first.refund();
    expect(cooldowns.take([perMember, perServer], bob).allowed).toBe(true);
    // Alice's refunded use left her member window: all five fit in it again.
    const member = [perMember];
    for (let use = 0; use < 5; use += 1) expect(cooldowns.take(member, alice).allowed).toBe(true);
    expect(cooldowns.take(member, alice).allowed).toBe(false);
  });

  it('reads each limit from the configuration, and limits nothing without one', () => {
    const teach: CooldownRule = { ...rule('member', 0), limit: (settings) => settings.teachCooldownPerMinute };
    const configured = new CommandCooldowns({ teachCooldownPerMinute: 1, forgetCooldownPerMinute: 5, fullRetrainMinIntervalHours: 6, cooldowns: DEFAULT_COOLDOWNS }, () => 0);
    expect(configured.take([teach], alice).allowed).toBe(true);
    expect(configured.take([teach], alice).allowed).toBe(false);
    const unconfigured = new CommandCooldowns(undefined, () => 0);
    for (let use = 0; use < 20; use += 1) expect(unconfigured.take([teach], alice).allowed).toBe(true);
  });
});
