/**
 * Finds and validates the command plugins: every `.ts`/`.js` file of a folder (by default the
 * project's `commands/`), each default-exporting a {@link CommandPlugin}.
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { errorMessage } from '../errors.ts';
import type { CommandPlugin } from './types.ts';

/** The project's `commands/` folder. */
export const DEFAULT_COMMANDS_DIR = fileURLToPath(new URL('../../commands/', import.meta.url));

/** One plugin file that cannot be used, and why. */
export interface PluginProblem {
  file: string;
  reason: string;
}

/** Thrown by {@link loadCommands} when any plugin file is broken; lists every broken file. */
export class PluginLoadError extends Error {
  readonly problems: readonly PluginProblem[];

  constructor(dir: string, problems: readonly PluginProblem[]) {
    super(
      `Invalid command plugins in ${dir}:\n${problems.map((p) => `  ${p.file}: ${p.reason}`).join('\n')}`,
    );
    this.name = 'PluginLoadError';
    this.problems = problems;
  }
}

const PLUGIN_FILE = /^(?!.*\.(?:d|test|spec)\.[cm]?[jt]s$).+\.[cm]?[jt]s$/;

const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === 'function';
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** Returns why a module's default export is not a valid plugin for `expectedName`, or null. */
function problemWith(plugin: unknown, expectedName: string): string | null {
  if (!isRecord(plugin)) return 'no default export of a command plugin ({ data, execute })';
  const { data, execute, autocomplete, preconditions } = plugin;
  if (!isRecord(data)) return 'the plugin has no `data` (a SlashCommandBuilder)';
  if (typeof data.name !== 'string' || !isFunction(data.toJSON)) {
    return '`data` is not a SlashCommandBuilder (it needs a name and toJSON())';
  }
  if (data.name !== expectedName) {
    return `\`data.name\` is "${data.name}" but the file name says "${expectedName}"`;
  }
  if (!isFunction(execute)) return 'the plugin has no `execute(ctx)` function';
  if (autocomplete !== undefined && !isFunction(autocomplete)) return '`autocomplete` is not a function';
  if (preconditions !== undefined && !isRecord(preconditions)) return '`preconditions` is not an object ({ permissions?, cooldowns? })';
  try {
    data.toJSON();
  } catch (error) {
    return `\`data\` is not a valid command definition: ${errorMessage(error)}`;
  }
  return null;
}

/**
 * Imports and validates every plugin file of `dir`, sorted by command name.
 *
 * @throws PluginLoadError listing each file that fails to import, lacks `data` or `execute`, or
 *   whose command name differs from its file name; nothing is skipped silently.
 */
export async function loadCommands(dir: string = DEFAULT_COMMANDS_DIR): Promise<CommandPlugin[]> {
  const files = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && PLUGIN_FILE.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  const plugins: CommandPlugin[] = [];
  const problems: PluginProblem[] = [];
  for (const file of files) {
    const expectedName = file.replace(/\.[cm]?[jt]s$/, '');
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(path.join(dir, file)).href)) as Record<string, unknown>;
    } catch (error) {
      problems.push({ file, reason: `cannot be imported: ${errorMessage(error)}` });
      continue;
    }
    const reason = problemWith(module.default, expectedName);
    if (reason === null) plugins.push(module.default as CommandPlugin);
    else problems.push({ file, reason });
  }
  if (problems.length > 0) throw new PluginLoadError(dir, problems);
  return plugins;
}
