/**
 * The benchmark command: `npm run -s bench -- [--scenario NAME] [--json] [scenario options]`.
 *
 * A scenario is the default export of `bench/scenarios/<NAME>.ts` (see `lib/scenario.ts`); it is
 * found by its file name, so adding a file adds a scenario. With `--json` stdout holds exactly
 * one JSON object; progress goes to stderr.
 *
 * @module
 */
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { errorMessage } from '../src/errors.ts';
import { UsageError, type OptionValues, type Scenario } from './lib/scenario.ts';

const COMMON_OPTIONS = {
  scenario: { type: 'string', default: 'train' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

const SCENARIO_DIR = new URL('./scenarios/', import.meta.url);

/** Runs the benchmark command line; returns the exit code. */
export async function main(argv: readonly string[], out = process.stdout, err = process.stderr): Promise<number> {
  // First pass: only the scenario name is needed to know which other options exist.
  const { values: common } = parseArgs({ args: [...argv], options: COMMON_OPTIONS, strict: false, allowPositionals: true });
  const name = String(common.scenario);
  const names = scenarioNames();
  if (!names.includes(name)) {
    err.write(`error: unknown scenario '${name}'\n${await overview(names)}`);
    return 2;
  }
  const scenario = await loadScenario(name);
  if (common.help === true) {
    out.write(`${await overview(names)}\nOptions of '${name}':\n${scenario.usage}\n`);
    return 0;
  }
  try {
    const { values } = parseArgs({ args: [...argv], options: { ...scenario.options, ...COMMON_OPTIONS }, strict: true, allowPositionals: false });
    const report = await scenario.run(values as OptionValues<typeof scenario.options>);
    out.write(values.json ? `${JSON.stringify({ scenario: name, ...report.result })}\n` : `${report.text}\n`);
    return (report.missedTargets?.length ?? 0) > 0 ? 1 : 0;
  } catch (error) {
    // parseArgs reports unknown or malformed options with a TypeError carrying an ERR_PARSE_ARGS code.
    const parseError = String((error as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS');
    if (error instanceof UsageError || parseError) {
      err.write(`error: ${errorMessage(error)}\nOptions of '${name}':\n${scenario.usage}\n`);
      return 2;
    }
    // Reported here rather than left uncaught: the wasm backend's uncaught-exception handler
    // rethrows and Node then prints a line of its minified source.
    err.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}

/** The scenarios present in `bench/scenarios/`, by file name. */
function scenarioNames(): string[] {
  return fs
    .readdirSync(SCENARIO_DIR)
    .filter((file) => /^[a-z0-9-]+\.ts$/.test(file))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
}

async function loadScenario(name: string): Promise<Scenario> {
  const module = (await import(new URL(`${name}.ts`, SCENARIO_DIR).href)) as { default?: Scenario };
  if (module.default === undefined) throw new Error(`bench/scenarios/${name}.ts has no default export`);
  return module.default;
}

async function overview(names: readonly string[]): Promise<string> {
  const lines = await Promise.all(names.map(async (name) => `  ${name.padEnd(16)}${(await loadScenario(name)).summary}`));
  return `Usage: npm run -s bench -- [--scenario NAME] [--json] [options of the scenario]\n\nScenarios (default train):\n${lines.join('\n')}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
