import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_COMMANDS_DIR, PluginLoadError, loadCommands } from '../../src/commands/loader.ts';

const dirs: string[] = [];

function pluginDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bot-plugins-'));
  dirs.push(dir);
  for (const [name, source] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), source);
  return dir;
}

/** A plugin file with a minimal command definition (no imports: the temp dir has no node_modules). */
const plugin = (name: string, extra = 'execute: async () => {},'): string =>
  `export default { data: { name: '${name}', description: 'd', toJSON: () => ({ name: '${name}', description: 'd' }) }, ${extra} };\n`;

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('loadCommands', () => {
  it('loads every plugin file, ignoring tests and declarations', async () => {
    const dir = pluginDir({
      'hello.ts': plugin('hello'),
      'wave.js': plugin('wave'),
      'hello.test.ts': 'throw new Error("not a plugin");',
      'types.d.ts': 'export {};',
      'notes.md': '# not code',
    });
    const plugins = await loadCommands(dir);
    expect(plugins.map((p) => p.data.name)).toEqual(['hello', 'wave']);
  });

  it('reports every broken plugin file by name instead of skipping it', async () => {
    const dir = pluginDir({
      'good.ts': plugin('good'),
      'no-execute.ts': plugin('no-execute', ''),
      'renamed.ts': plugin('other'),
      'no-data.ts': 'export default { execute: async () => {} };',
      'no-default.ts': 'export const data = 1;',
      'syntax.ts': 'export default {',
      'bad-autocomplete.ts': plugin('bad-autocomplete', 'execute: async () => {}, autocomplete: 3,'),
    });
    const error = await loadCommands(dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PluginLoadError);
    const problems = Object.fromEntries((error as PluginLoadError).problems.map((p) => [p.file, p.reason]));
    expect(Object.keys(problems).sort()).toEqual(
      ['bad-autocomplete.ts', 'no-data.ts', 'no-default.ts', 'no-execute.ts', 'renamed.ts', 'syntax.ts'].sort(),
    );
    expect(problems['no-execute.ts']).toMatch(/no `execute/);
    expect(problems['renamed.ts']).toMatch(/"other" but the file name says "renamed"/);
    expect(problems['no-data.ts']).toMatch(/no `data`/);
    expect(problems['syntax.ts']).toMatch(/cannot be imported/);
    expect((error as Error).message).toContain('renamed.ts');
  });

  it('reports preconditions that are not an object', async () => {
    const dir = pluginDir({ 'strict.ts': plugin('strict', "execute: async () => {}, preconditions: 'ManageGuild',") });
    const error = await loadCommands(dir).catch((caught: unknown) => caught);
    expect((error as PluginLoadError).problems).toEqual([{ file: 'strict.ts', reason: expect.stringMatching(/`preconditions` is not an object/) }]);
  });

  it('loads the project’s commands, each valid for Discord in every language', async () => {
    const plugins = await loadCommands();
    const files = fs.readdirSync(DEFAULT_COMMANDS_DIR).map((file) => file.replace(/\.ts$/, '')).sort();
    expect(plugins.map((p) => p.data.name)).toEqual(files);
    for (const { data } of plugins) {
      const json = data.toJSON();
      expect(json.contexts).toEqual([0]);
      for (const entry of [json, ...(json.options ?? [])]) {
        expect(entry.description.length).toBeLessThanOrEqual(100);
        expect(Object.keys(entry.description_localizations ?? {}).sort()).toEqual(['zh-CN', 'zh-TW']);
        for (const text of Object.values(entry.description_localizations ?? {})) {
          expect(text?.length).toBeGreaterThan(0);
          expect(text?.length).toBeLessThanOrEqual(100);
        }
      }
    }
    const retrain = plugins.find((p) => p.data.name === 'retrain')?.data.toJSON();
    expect(retrain?.default_member_permissions).toBe('32');
  });
});
