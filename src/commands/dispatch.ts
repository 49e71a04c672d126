/**
 * Runs a command or an autocomplete request in a context, whatever built it (Discord or the
 * console): answers unknown commands and direct messages, and turns any exception into a polite
 * reply with a reference id that is also logged, so one failure never stops the bot.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { messagesFor } from '../i18n/index.ts';
import type { AutocompleteContext, CommandContext, CommandPlugin, InGuild, InteractionContext } from './types.ts';

/** The loaded plugins by command name. */
export type CommandRegistry = ReadonlyMap<string, CommandPlugin>;

/** Indexes plugins by their command name. */
export function createRegistry(plugins: readonly CommandPlugin[]): CommandRegistry {
  return new Map(plugins.map((plugin) => [plugin.data.name, plugin]));
}

function inGuild<Context extends InteractionContext>(ctx: Context): ctx is InGuild<Context> {
  return ctx.guildId !== null && ctx.memberPermissions !== null;
}

/** A short id a member can quote and an operator can find in the logs. */
function newReference(): string {
  return randomBytes(4).toString('hex');
}

/**
 * Runs the command named by `ctx.commandName`. Never throws: failures are logged and answered.
 */
export async function runCommand(registry: CommandRegistry, ctx: CommandContext, logger: Logger): Promise<void> {
  const messages = messagesFor(ctx.locale);
  const plugin = registry.get(ctx.commandName);
  try {
    if (plugin === undefined) {
      await ctx.reply({ content: messages.common.unknownCommand(ctx.commandName), ephemeral: true });
    } else if (!inGuild(ctx)) {
      await ctx.reply({ content: messages.common.guildOnly, ephemeral: true });
    } else {
      await plugin.execute(ctx);
    }
  } catch (error) {
    const reference = newReference();
    logger.error(
      { err: error, reference, command: ctx.commandName, guildId: ctx.guildId, userId: ctx.user.id },
      'command failed',
    );
    const answer = { content: messages.common.internalError(reference), ephemeral: true };
    try {
      if (ctx.deferred) await ctx.edit(answer);
      else if (ctx.replied) await ctx.followUp(answer);
      else await ctx.reply(answer);
    } catch (replyError) {
      logger.error({ err: replyError, reference }, 'could not tell the member that the command failed');
    }
  }
}

/**
 * Answers an autocomplete request with the plugin's suggestions; with none when the command has
 * no autocomplete, is used outside a guild, or fails (the failure is logged). Never throws.
 */
export async function runAutocomplete(registry: CommandRegistry, ctx: AutocompleteContext, logger: Logger): Promise<void> {
  const plugin = registry.get(ctx.commandName);
  try {
    if (plugin?.autocomplete === undefined || !inGuild(ctx)) await ctx.respond([]);
    else await plugin.autocomplete(ctx);
  } catch (error) {
    logger.error({ err: error, command: ctx.commandName, guildId: ctx.guildId }, 'autocomplete failed');
    if (!ctx.responded) {
      await ctx.respond([]).catch((respondError: unknown) => {
        logger.warn({ err: respondError, command: ctx.commandName }, 'could not answer the autocomplete request');
      });
    }
  }
}
