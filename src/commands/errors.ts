/**
 * The codes of every answer the dispatcher gives in a command's place, and their localised text.
 *
 * What a use case refuses (`no_model`, `too_long`, `duplicate`, …) is an outcome status that the
 * command itself answers; what fails unexpectedly (a `StoreError`, a `ModelFormatError`, any other
 * throw) becomes `internal_error`, whose reference is logged with the stack.
 *
 * @module
 */
import type { Messages } from '../i18n/index.ts';
import type { CooldownRule, PermissionRule } from './types.ts';

/** Why the dispatcher answered instead of the command, or after it failed. */
export type CommandError =
  | { code: 'unknown_command'; command: string }
  | { code: 'guild_only' }
  | { code: 'missing_permission'; rule: PermissionRule }
  | { code: 'cooldown'; rule: CooldownRule; retryAfterSeconds: number }
  | { code: 'internal_error'; reference: string };

/** The text a member is shown for an error, in their language. */
export function commandErrorText(error: CommandError, m: Messages): string {
  switch (error.code) {
    case 'unknown_command':
      return m.errors.unknownCommand(error.command);
    case 'guild_only':
      return m.errors.guildOnly;
    case 'missing_permission':
      return error.rule.refusal(m);
    case 'cooldown':
      return error.rule.refusal(m, error.retryAfterSeconds);
    case 'internal_error':
      return m.errors.internalError(error.reference);
  }
}
