/**
 * Helpers for declaring localised, guild-only slash commands.
 *
 * @module
 */
import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import type { LocalizationMap } from 'discord.js';
import { en } from '../i18n/en.ts';
import type { Messages } from '../i18n/en.ts';
import { localizations } from '../i18n/index.ts';

/** Anything with a description Discord can localise: a command or one of its options. */
interface Describable<T> {
  setDescription(description: string): T;
  setDescriptionLocalizations(localizedDescriptions: LocalizationMap | null): T;
}

/** Sets the English description and its Chinese localisations from the message catalogue. */
export function describe<T extends Describable<T>>(builder: T, pick: (messages: Messages) => string): T {
  return builder.setDescription(pick(en)).setDescriptionLocalizations(localizations(pick));
}

/**
 * Starts a slash command usable in servers only: every server trains its own model, so there is
 * nothing to answer in a direct message. Discord then offers it in servers only, and the
 * dispatcher answers any other use itself, so every command's context has a guild.
 */
export function guildCommand(name: string, pick: (messages: Messages) => string): SlashCommandBuilder {
  return describe(new SlashCommandBuilder().setName(name).setContexts(InteractionContextType.Guild), pick);
}
