import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Modules (paths relative to the repository) and the modules each imports, type-only imports included. */
type ImportGraph = Map<string, string[]>;

const STATIC_IMPORT = /^\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?\s*['"](\.{1,2}\/[^'"]+)['"]/gm;

function sourceFiles(folder: string): string[] {
  return fs.readdirSync(path.join(ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

function importGraph(folders: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of folders.flatMap(sourceFiles)) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    graph.set(file, [...text.matchAll(STATIC_IMPORT)].map((match) => path.join(path.dirname(file), match[1]!)));
  }
  return graph;
}

/** Every import cycle, each as the modules on it (Tarjan's strongly connected components). */
function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (module: string): void => {
    index.set(module, index.size);
    lowLink.set(module, index.get(module)!);
    stack.push(module);
    onStack.add(module);
    for (const imported of graph.get(module) ?? []) {
      if (!graph.has(imported)) continue;
      if (!index.has(imported)) {
        visit(imported);
        lowLink.set(module, Math.min(lowLink.get(module)!, lowLink.get(imported)!));
      } else if (onStack.has(imported)) {
        lowLink.set(module, Math.min(lowLink.get(module)!, index.get(imported)!));
      }
    }
    if (lowLink.get(module) !== index.get(module)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== module);
    if (component.length > 1 || graph.get(module)!.includes(module)) cycles.push(component.sort());
  };
  for (const module of graph.keys()) if (!index.has(module)) visit(module);
  return cycles;
}

/** What each lower layer must not import: the layers above it. */
const FORBIDDEN: Record<string, readonly string[]> = {
  'src/lm/': ['src/store/', 'src/training/', 'src/app/'],
  'src/store/': ['src/lm/', 'src/training/', 'src/app/'],
  'src/training/': ['src/app/'],
};
/** Layers above every one of the above: the use cases' users and the entry points. */
const ENTRY_LAYERS = ['src/cli/', 'src/commands/', 'src/discord/', 'src/console/', 'src/explain/', 'commands/', 'src/main.ts', 'src/index.ts'];

/** Imports that point from a lower layer to a higher one, as `from -> to`. */
function layerViolations(graph: ImportGraph): string[] {
  const violations: string[] = [];
  for (const [module, imports] of graph) {
    const layer = Object.keys(FORBIDDEN).find((prefix) => module.startsWith(prefix));
    if (layer === undefined) continue;
    const forbidden = [...FORBIDDEN[layer]!, ...ENTRY_LAYERS];
    for (const imported of imports) {
      if (forbidden.some((prefix) => imported.startsWith(prefix))) violations.push(`${module} -> ${imported}`);
    }
  }
  return violations;
}

describe('module dependencies', () => {
  const graph = importGraph(['src', 'commands']);

  it('reads every relative import as a module that exists', () => {
    const imports = [...graph.values()].flat();
    expect(imports.length).toBeGreaterThan(200);
    expect(imports.filter((imported) => !fs.existsSync(path.join(ROOT, imported)))).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('points down only: the language model, the store and training never import the layers above them', () => {
    expect(layerViolations(graph)).toEqual([]);
  });

  it('finds cycles and upward imports in a graph that has them', () => {
    const bad: ImportGraph = new Map([
      ['src/training/job.ts', ['src/app/services.ts', 'src/lm/train.ts']],
      ['src/app/services.ts', ['src/training/job.ts']],
      ['src/lm/train.ts', ['src/lm/train.ts']],
      ['src/store/store.ts', ['src/lm/model.ts']],
    ]);
    expect(importCycles(bad).sort()).toEqual([['src/app/services.ts', 'src/training/job.ts'], ['src/lm/train.ts']]);
    expect(layerViolations(bad)).toEqual(['src/training/job.ts -> src/app/services.ts', 'src/store/store.ts -> src/lm/model.ts']);
  });
});
