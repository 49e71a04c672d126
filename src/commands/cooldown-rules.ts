/**
 * The limits of the commands that cost CPU, per member and per server, with their limits read from
 * the configuration (`<COMMAND>_COOLDOWN_PER_MINUTE`, `<COMMAND>_SERVER_COOLDOWN_PER_MINUTE`). A
 * member's limit keeps one member from flooding; a server's keeps one server, however many members
 * (or accounts) it has, from starving the others.
 *
 * @module
 */
import type { LimitedUse } from '../config.ts';
import type { CooldownRule, UseLimit } from './types.ts';

const MINUTE_MS = 60_000;

/**
 * A command's cooldowns: the member's limit first, so a member over it takes nothing from the
 * server's.
 */
export function memberAndServerCooldowns(command: Exclude<LimitedUse, 'autocomplete'>): CooldownRule[] {
  return [
    {
      per: 'member',
      limit: (settings) => settings.cooldowns[command].perMember,
      windowMs: MINUTE_MS,
      refusal: (m, seconds) => m.errors.cooldownMember(seconds),
    },
    {
      per: 'server',
      limit: (settings) => settings.cooldowns[command].perServer,
      windowMs: MINUTE_MS,
      refusal: (m, seconds) => m.errors.cooldownServer(seconds),
    },
  ];
}

/**
 * The limits of autocomplete requests, one set of windows for every command's suggestions (one
 * request per keystroke): beyond them a member, or a server, gets no suggestions for a while.
 */
export const AUTOCOMPLETE_LIMITS: readonly UseLimit[] = [
  { per: 'member', limit: (settings) => settings.cooldowns.autocomplete.perMember, windowMs: MINUTE_MS },
  { per: 'server', limit: (settings) => settings.cooldowns.autocomplete.perServer, windowMs: MINUTE_MS },
];
