// Runs before `npm start` and `npm test`: on a fresh clone, installs exactly what the lockfile
// pins (`npm ci`), so the quick start is just those two commands. Plain Node, no dependencies.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const required = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
const missing = required.filter((name) => !existsSync(new URL(`node_modules/${name}/package.json`, root)));

if (missing.length > 0) {
  console.error(`Installing dependencies (missing: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}); the first install takes a few minutes.`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  process.exit(result.status ?? 1);
}
