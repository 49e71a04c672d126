/**
 * Runs a command or an autocomplete request in a context, whatever built it (Discord or the
 * console). Before a command runs, the dispatcher enforces what every plugin declares
 * ({@link Preconditions}): it answers unknown commands and uses outside a server, members missing
 * a required permission and members over a cooldown, each privately and in their language; an
 * autocomplete request over its limits gets no suggestion. Any
 * exception becomes a polite reply with a reference id that is also logged, so one failure never
 * stops the bot. A {@link DispatchObserver} (the metrics) hears how each interaction went.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { messagesFor } from '../i18n/index.ts';
import { CommandCooldowns } from './cooldown.ts';
import { commandErrorText, type CommandError } from './errors.ts';
import type {
  AutocompleteContext,
  CommandContext,
  CommandPlugin,
  CooldownRule,
  CooldownSettings,
  GuildCommandContext,
  InGuild,
  InteractionContext,
  PermissionRule,
} from './types.ts';

/** How the dispatcher handled one interaction: no member, no text, only what can be counted. */
export interface InteractionReport {
  /** The plugin's command name, or `unknown` for a name no plugin has. */
  command: string;
  kind: 'command' | 'autocomplete';
  /** `ok`, or the code of what the dispatcher answered in the command's place. */
  outcome: 'ok' | CommandError['code'];
  /** From the dispatcher receiving the interaction to its first answer being sent; null when none was. */
  answeredAfterSeconds: number | null;
  /** From the dispatcher receiving the interaction to the end of its handling. */
  seconds: number;
}

/** Hears about every interaction once it is handled; an observer that throws is logged and ignored. */
export interface DispatchObserver {
  interactionHandled(report: InteractionReport): void;
}

/** The loaded plugins by command name, the uses their cooldown rules count, and who observes. */
export interface CommandRegistry {
  readonly commands: ReadonlyMap<string, CommandPlugin>;
  readonly cooldowns: CommandCooldowns;
  readonly observer?: DispatchObserver;
}

/** Options of {@link createRegistry}. */
export interface RegistryOptions {
  /** The configured limits of the cooldown rules; without them no cooldown applies. */
  cooldowns?: CooldownSettings;
  /** The clock of the cooldowns. */
  now?: () => number;
  /** Told how each interaction went (the metrics). */
  observer?: DispatchObserver;
}

/** Indexes plugins by their command name, with empty cooldowns. */
export function createRegistry(plugins: readonly CommandPlugin[], options: RegistryOptions = {}): CommandRegistry {
  return {
    commands: new Map(plugins.map((plugin) => [plugin.data.name, plugin])),
    cooldowns: new CommandCooldowns(options.cooldowns, options.now),
    ...(options.observer === undefined ? {} : { observer: options.observer }),
  };
}

/**
 * Times one interaction for the registry's observer: `watch` gives the context to run, whose
 * answering methods note when the first answer was sent, and `report` tells the observer.
 */
function observe<Context extends InteractionContext>(
  registry: CommandRegistry,
  ctx: Context,
  kind: InteractionReport['kind'],
  answers: readonly (keyof Context & string)[],
  logger: Logger,
): { watched: Context; report(outcome: InteractionReport['outcome']): void } {
  const { observer } = registry;
  if (observer === undefined) return { watched: ctx, report() {} };
  const started = performance.now();
  let answeredAt: number | null = null;
  const watched = new Proxy(ctx, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (!answers.includes(property as keyof Context & string)) return value.bind(target);
      return async (...args: unknown[]) => {
        const result: unknown = await value.apply(target, args);
        answeredAt ??= performance.now();
        return result;
      };
    },
  });
  return {
    watched,
    report(outcome) {
      const seconds = (at: number) => (at - started) / 1000;
      const command = registry.commands.has(ctx.commandName) ? ctx.commandName : 'unknown';
      try {
        observer.interactionHandled({ command, kind, outcome, answeredAfterSeconds: answeredAt === null ? null : seconds(answeredAt), seconds: seconds(performance.now()) });
      } catch (error) {
        logger.warn({ err: error, command }, 'the interaction observer failed');
      }
    },
  };
}

function inGuild<Context extends InteractionContext>(ctx: Context): ctx is InGuild<Context> {
  return ctx.guildId !== null && ctx.memberPermissions !== null;
}

/** A short id a member can quote and an operator can find in the logs. */
function newReference(): string {
  return randomBytes(4).toString('hex');
}

/** Whether a rule concerns this run: a rule without `appliesTo` concerns every run. */
function concerns(rule: PermissionRule | CooldownRule, ctx: GuildCommandContext): boolean {
  return rule.appliesTo?.(ctx.options, ctx.user) ?? true;
}

/** The first declared permission the member lacks for this run, as an error. */
function missingPermission(plugin: CommandPlugin, ctx: GuildCommandContext): CommandError | null {
  for (const rule of plugin.preconditions?.permissions ?? []) {
    if (concerns(rule, ctx) && !ctx.memberPermissions.has(rule.permission)) return { code: 'missing_permission', rule };
  }
  return null;
}

/**
 * Runs a plugin if its declared permissions and cooldowns allow it, or says why not. A run that
 * did not count gives its cooldown uses back.
 */
async function checkAndRun(registry: CommandRegistry, plugin: CommandPlugin, ctx: GuildCommandContext): Promise<CommandError | null> {
  const missing = missingPermission(plugin, ctx);
  if (missing !== null) return missing;
  const rules = (plugin.preconditions?.cooldowns ?? []).filter((rule) => concerns(rule, ctx));
  const uses = registry.cooldowns.take(rules, { guildId: ctx.guildId, userId: ctx.user.id });
  if (!uses.allowed) return { code: 'cooldown', rule: uses.rule, retryAfterSeconds: Math.ceil(uses.retryAfterMs / 1000) };
  const outcome = await plugin.execute(ctx);
  if (outcome?.counted === false) uses.refund();
  return null;
}

/** Counts an autocomplete request against the plugin's limits; false when one is reached. */
function withinAutocompleteLimits(registry: CommandRegistry, plugin: CommandPlugin, ctx: InGuild<AutocompleteContext>): boolean {
  return registry.cooldowns.take(plugin.preconditions?.autocompleteLimits ?? [], { guildId: ctx.guildId, userId: ctx.user.id }).allowed;
}

/**
 * Runs the command named by `ctx.commandName` once its preconditions hold. Never throws: failures
 * are logged and answered.
 */
export async function runCommand(registry: CommandRegistry, original: CommandContext, logger: Logger): Promise<void> {
  const { watched: ctx, report } = observe(registry, original, 'command', ['reply', 'defer'], logger);
  const messages = messagesFor(ctx.locale);
  const plugin = registry.commands.get(ctx.commandName);
  try {
    let refused: CommandError | null;
    if (plugin === undefined) refused = { code: 'unknown_command', command: ctx.commandName };
    else if (!inGuild(ctx)) refused = { code: 'guild_only' };
    else refused = await checkAndRun(registry, plugin, ctx);
    if (refused !== null) await ctx.reply({ content: commandErrorText(refused, messages), ephemeral: true });
    report(refused?.code ?? 'ok');
  } catch (error) {
    const reference = newReference();
    logger.error(
      { err: error, reference, command: ctx.commandName, guildId: ctx.guildId, userId: ctx.user.id },
      'command failed',
    );
    const answer = { content: commandErrorText({ code: 'internal_error', reference }, messages), ephemeral: true };
    try {
      if (ctx.deferred) await ctx.edit(answer);
      else if (ctx.replied) await ctx.followUp(answer);
      else await ctx.reply(answer);
    } catch (replyError) {
      logger.error({ err: replyError, reference }, 'could not tell the member that the command failed');
    }
    report('internal_error');
  }
}

/**
 * Answers an autocomplete request with the plugin's suggestions; with none when the command has
 * no autocomplete, is used outside a guild, is over one of its autocomplete limits, or fails (the
 * failure is logged). Never throws.
 */
export async function runAutocomplete(registry: CommandRegistry, original: AutocompleteContext, logger: Logger): Promise<void> {
  const { watched: ctx, report } = observe(registry, original, 'autocomplete', ['respond'], logger);
  const plugin = registry.commands.get(ctx.commandName);
  try {
    if (plugin?.autocomplete === undefined || !inGuild(ctx) || !withinAutocompleteLimits(registry, plugin, ctx)) await ctx.respond([]);
    else await plugin.autocomplete(ctx);
    report(plugin === undefined ? 'unknown_command' : inGuild(ctx) ? 'ok' : 'guild_only');
  } catch (error) {
    logger.error({ err: error, command: ctx.commandName, guildId: ctx.guildId }, 'autocomplete failed');
    if (!ctx.responded) {
      await ctx.respond([]).catch((respondError: unknown) => {
        logger.warn({ err: respondError, command: ctx.commandName }, 'could not answer the autocomplete request');
      });
    }
    report('internal_error');
  }
}
