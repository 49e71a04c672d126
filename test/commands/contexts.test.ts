/**
 * The two contexts a plugin receives are distinct types: a wrong call is a compile error, caught by
 * `tsc --noEmit` in `npm test` (these assertions are checked by the type checker, not at run time).
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { GuildAutocompleteContext, GuildCommandContext } from '../../src/commands/types.ts';

describe('command and autocomplete contexts', () => {
  it('lets only a command run reply, defer, edit and follow up', () => {
    for (const method of ['reply', 'defer', 'edit', 'followUp'] as const) {
      expectTypeOf<GuildCommandContext>().toHaveProperty(method);
      expectTypeOf<GuildAutocompleteContext>().not.toHaveProperty(method);
    }
  });

  it('lets only an autocomplete request respond with choices and name the focused option', () => {
    expectTypeOf<GuildAutocompleteContext>().toHaveProperty('respond');
    expectTypeOf<GuildCommandContext>().not.toHaveProperty('respond');
    expectTypeOf<GuildAutocompleteContext['options']>().toHaveProperty('focused');
    expectTypeOf<GuildCommandContext['options']>().not.toHaveProperty('focused');
  });

  it('resolves members only for a command run (Discord sends none with autocomplete)', () => {
    expectTypeOf<GuildCommandContext['options']>().toHaveProperty('user');
    expectTypeOf<GuildAutocompleteContext['options']>().not.toHaveProperty('user');
  });

  it('gives both a known guild', () => {
    expectTypeOf<GuildCommandContext['guildId']>().toEqualTypeOf<string>();
    expectTypeOf<GuildAutocompleteContext['guildId']>().toEqualTypeOf<string>();
  });
});
