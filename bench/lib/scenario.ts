/**
 * The contract between `bench/main.ts` and a scenario module in `bench/scenarios/`.
 *
 * @module
 */
import type { parseArgs, ParseArgsConfig } from 'node:util';

/** Command-line options of a scenario, in `util.parseArgs` form. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** The parsed values of an {@link OptionSpec}, typed after it. */
export type OptionValues<O extends OptionSpec> = ReturnType<
  typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>
>['values'];

/** What a scenario hands back: printed as `text`, or as one JSON object with `--json`. */
export interface ScenarioReport {
  result: Record<string, unknown>;
  text: string;
  /** The targets the run missed, one line each: the command then exits non-zero. */
  missedTargets?: string[];
}

/**
 * One benchmark, the default export of `bench/scenarios/<name>.ts`. Its options come on top of
 * the common ones (`--scenario`, `--json`, `--help`), which it must not redefine.
 */
export interface Scenario<O extends OptionSpec = OptionSpec> {
  /** One line for the list of scenarios. */
  summary: string;
  /** Option lines for `--help`. */
  usage: string;
  options: O;
  /** Runs the benchmark; progress may go to stderr, never to stdout. */
  run(values: OptionValues<O>): Promise<ScenarioReport>;
}

/** Identity function that lets TypeScript infer the option types of a scenario. */
export function defineScenario<const O extends OptionSpec>(scenario: Scenario<O>): Scenario<O> {
  return scenario;
}

/** A wrong option value; `bench/main.ts` prints it as one line and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
