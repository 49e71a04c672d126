/**
 * Parses a typed console line into a command and its options, checked against the command's
 * own definition (the JSON Discord receives), so the console accepts what Discord would.
 *
 * Forms: `/predict 我 喜欢` (the text goes to the command's first required option, or its first
 * option), `/predict text:我 喜欢 count:3` and mixes of both (`/predict 我 喜欢 count:3`). A command
 * with subcommands takes the subcommand's name first: `/sentences list 2`, `/sentences export`.
 *
 * @module
 */
import { ApplicationCommandOptionType } from 'discord.js';
import type { APIApplicationCommandOption } from 'discord.js';
import type { CommandRegistry } from '../commands/dispatch.ts';
import type { UserRef } from '../commands/types.ts';
import type { Messages } from '../i18n/index.ts';

/** A parsed option value. */
export type OptionValue = string | number | boolean | UserRef;

/** What a line asks for. */
export type ParsedLine =
  | { kind: 'empty' }
  | { kind: 'exit' }
  | { kind: 'help' }
  | { kind: 'command'; name: string; subcommand: string | null; options: Map<string, OptionValue> }
  | { kind: 'error'; message: string };

const USER = /^(?:<@!?(\d+)>|@?(\d+))$/;
const TRUE = new Set(['true', 'yes', 'y', '1', 'on']);
const FALSE = new Set(['false', 'no', 'n', '0', 'off']);
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Converts and checks one value; returns the value, or the expected form when it does not fit. */
function convert(option: APIApplicationCommandOption, raw: string, m: Messages): OptionValue | { expected: string } {
  const expected = m.console.expected;
  switch (option.type) {
    case ApplicationCommandOptionType.String: {
      const max = option.max_length ?? 6000;
      return raw.length >= (option.min_length ?? 0) && raw.length <= max ? raw : { expected: expected.string(max) };
    }
    case ApplicationCommandOptionType.Integer:
    case ApplicationCommandOptionType.Number: {
      const isInteger = option.type === ApplicationCommandOptionType.Integer;
      const value = Number(raw);
      const min = option.min_value ?? Number.NEGATIVE_INFINITY;
      const max = option.max_value ?? Number.POSITIVE_INFINITY;
      const valid = raw !== '' && Number.isFinite(value) && (!isInteger || Number.isInteger(value)) && value >= min && value <= max;
      if (valid) return value;
      const range = [String(option.min_value ?? '−∞'), String(option.max_value ?? '∞')] as const;
      return { expected: isInteger ? expected.integer(...range) : expected.number(...range) };
    }
    case ApplicationCommandOptionType.Boolean: {
      const word = raw.toLowerCase();
      if (TRUE.has(word)) return true;
      if (FALSE.has(word)) return false;
      return { expected: expected.boolean };
    }
    case ApplicationCommandOptionType.User: {
      const match = USER.exec(raw);
      const id = match?.[1] ?? match?.[2];
      return id === undefined ? { expected: expected.user } : { id, name: id };
    }
    default:
      return { expected: expected.string(6000) };
  }
}

/**
 * Parses one line.
 *
 * @param registry - the commands, whose definitions give the options and their constraints.
 * @param m - messages in the console's language, for error texts.
 */
export function parseLine(line: string, registry: CommandRegistry, m: Messages): ParsedLine {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'empty' };
  const head = /^\/(\S+)\s*([\s\S]*)$/.exec(trimmed);
  if (head === null) return { kind: 'error', message: m.console.notACommand };
  const name = (head[1] ?? '').toLowerCase();
  let rest = head[2] ?? '';
  if (name === 'exit' || name === 'quit') return { kind: 'exit' };
  if (name === 'help') return { kind: 'help' };
  const plugin = registry.commands.get(name);
  if (plugin === undefined) return { kind: 'error', message: m.errors.unknownCommand(name) };

  let definitions = plugin.data.toJSON().options ?? [];
  let subcommand: string | null = null;
  const subcommands = definitions.filter((option) => option.type === ApplicationCommandOptionType.Subcommand);
  if (subcommands.length > 0) {
    const [, word = '', remainder = ''] = /^(\S*)\s*([\s\S]*)$/.exec(rest) ?? [];
    const chosen = subcommands.find((option) => option.name === word.toLowerCase());
    if (chosen === undefined) return { kind: 'error', message: m.console.chooseSubcommand(name, subcommands.map((option) => option.name)) };
    subcommand = chosen.name;
    definitions = chosen.options ?? [];
    rest = remainder;
  }
  const raw = new Map<string, string>();
  let freeText = rest;
  if (definitions.length > 0) {
    // `name:` starts a named option only for this command's option names, so a colon inside a
    // sentence (`/teach 时间:10点`) stays part of the text.
    const names = definitions.map((option) => escapeRegExp(option.name)).join('|');
    const marker = new RegExp(`(?:^|\\s)(${names}):`, 'g');
    const matches = [...rest.matchAll(marker)];
    freeText = rest.slice(0, matches[0]?.index ?? rest.length);
    matches.forEach((match, index) => {
      const start = (match.index ?? 0) + match[0].length;
      const end = matches[index + 1]?.index ?? rest.length;
      raw.set(match[1] ?? '', rest.slice(start, end).trim());
    });
  }
  freeText = freeText.trim();
  if (freeText !== '') {
    const target = definitions.find((option) => 'required' in option && option.required === true) ?? definitions[0];
    if (target === undefined || raw.has(target.name)) {
      return { kind: 'error', message: m.console.unexpectedText(name, freeText) };
    }
    raw.set(target.name, freeText);
  }

  const options = new Map<string, OptionValue>();
  for (const definition of definitions) {
    const value = raw.get(definition.name);
    if (value === undefined || value === '') {
      if ('required' in definition && definition.required === true) {
        return { kind: 'error', message: m.console.missingOption(name, definition.name) };
      }
      continue;
    }
    const converted = convert(definition, value, m);
    if (typeof converted === 'object' && 'expected' in converted) {
      return { kind: 'error', message: m.console.invalidOption(definition.name, converted.expected) };
    }
    options.set(definition.name, converted);
  }
  return { kind: 'command', name, subcommand, options };
}
