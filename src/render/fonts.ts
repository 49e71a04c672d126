/**
 * The charts' font: Noto Sans SC and Noto Sans TC (SIL Open Font License 1.1), shipped by the
 * `@fontsource-variable/noto-sans-sc` and `-tc` packages, so charts draw Chinese on a machine
 * without any CJK font installed.
 *
 * Each package splits its variable font into about a hundred WOFF2 files by Unicode range.
 * `@napi-rs/canvas` rebuilds its font collection after every registration, at a cost that grows
 * with the number of files registered (about 7 ms each on the first draw after it), so
 * registering both fonts whole would stall the first chart by over a second and hold some 35 MB.
 * {@link chartFontFamily} registers only the files that hold the characters a chart draws, once
 * each: a chart in Chinese typically needs a handful.
 *
 * @module
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';
import type { Language } from '../i18n/index.ts';

/** One bundled font: the package that ships it and the family name it is registered under. */
interface BundledFont {
  /** The family name charts ask for; distinct from any installed font's name. */
  family: string;
  packageName: string;
  /** The files' name before the range key: `files/<prefix>-<key>-wght-normal.woff2`. */
  filePrefix: string;
}

const SIMPLIFIED: BundledFont = {
  family: 'Bundled Noto Sans SC',
  packageName: '@fontsource-variable/noto-sans-sc',
  filePrefix: 'noto-sans-sc',
};

const TRADITIONAL: BundledFont = {
  family: 'Bundled Noto Sans TC',
  packageName: '@fontsource-variable/noto-sans-tc',
  filePrefix: 'noto-sans-tc',
};

/**
 * Which font draws a character both have, by the reader's language: the same character has
 * slightly different standard forms in mainland China and Taiwan (骨, 们 or 們 aside). Each font
 * also fills the other's gaps (a rare traditional character Noto Sans SC lacks).
 */
const PREFERENCE: Record<Language, readonly BundledFont[]> = {
  en: [SIMPLIFIED, TRADITIONAL],
  'zh-CN': [SIMPLIFIED, TRADITIONAL],
  'zh-TW': [TRADITIONAL, SIMPLIFIED],
};

/** Characters every chart draws whatever its labels: numbers, signs and Latin text. */
const ALWAYS_DRAWN = String.fromCharCode(...Array.from({ length: 0x7f - 0x20 }, (_, index) => 0x20 + index)) + '−…';

const requireFromHere = createRequire(import.meta.url);

/** A bundled font's files by the code points each covers, read from its `unicode.json` once. */
class FontFiles {
  readonly #fileOf = new Map<number, string>();
  readonly #registered = new Set<string>();

  constructor(readonly font: BundledFont) {
    const manifest = requireFromHere.resolve(`${font.packageName}/unicode.json`);
    const ranges = JSON.parse(fs.readFileSync(manifest, 'utf8')) as Record<string, string>;
    const directory = path.join(path.dirname(manifest), 'files');
    // The named subsets (latin, cyrillic...) first: the numbered slices repeat some of their
    // characters, and Latin text should need one file, not a dozen.
    const entries = Object.entries(ranges).sort(([a], [b]) => Number(a.startsWith('[')) - Number(b.startsWith('[')));
    for (const [key, unicodeRange] of entries) {
      // Keys are `[12]` for the numbered CJK slices, `latin`, `cyrillic`... for the others.
      const file = path.join(directory, `${font.filePrefix}-${key.replace(/^\[(\d+)\]$/, '$1')}-wght-normal.woff2`);
      for (const [first, last] of parseUnicodeRange(unicodeRange)) {
        for (let codePoint = first; codePoint <= last; codePoint += 1) {
          if (!this.#fileOf.has(codePoint)) this.#fileOf.set(codePoint, file);
        }
      }
    }
  }

  has(codePoint: number): boolean {
    return this.#fileOf.has(codePoint);
  }

  /** Registers the file holding the character, unless done before. */
  register(codePoint: number): void {
    const file = this.#fileOf.get(codePoint);
    if (file === undefined || this.#registered.has(file)) return;
    if (GlobalFonts.registerFromPath(file, this.font.family) === null) {
      throw new Error(`the chart font file ${file} could not be loaded; reinstall ${this.font.packageName}`);
    }
    this.#registered.add(file);
  }

  /** How many of its files are registered. */
  get registeredFiles(): number {
    return this.#registered.size;
  }
}

/** `U+4E00-4E2F,U+4E31` as inclusive code point ranges. */
export function parseUnicodeRange(unicodeRange: string): [number, number][] {
  return unicodeRange.split(',').map((part) => {
    const match = /^\s*U\+([0-9a-f]+)(?:-([0-9a-f]+))?\s*$/i.exec(part);
    if (match === null) throw new Error(`not a unicode range: ${part}`);
    const first = Number.parseInt(match[1]!, 16);
    return [first, match[2] === undefined ? first : Number.parseInt(match[2], 16)];
  });
}

const loaded = new Map<BundledFont, FontFiles>();

function filesOf(font: BundledFont): FontFiles {
  let files = loaded.get(font);
  if (files === undefined) {
    files = new FontFiles(font);
    loaded.set(font, files);
  }
  return files;
}

/**
 * The font family (a CSS family list) a chart for `language` draws its text with, once the files
 * holding every character of `texts` (and of numbers and Latin text) are registered. Characters
 * neither font has are drawn by an installed font, if any.
 */
export function chartFontFamily(language: Language, texts: readonly string[]): string {
  const fonts = PREFERENCE[language];
  const characters = new Set<number>();
  for (const text of [ALWAYS_DRAWN, ...texts]) {
    for (const character of text) characters.add(character.codePointAt(0)!);
  }
  for (const codePoint of characters) {
    // A font's ranges are read only once a character needs it: an English chart never reads the second.
    for (const font of fonts) {
      const files = filesOf(font);
      if (files.has(codePoint)) {
        files.register(codePoint);
        break;
      }
    }
  }
  return [...fonts.map((font) => `"${font.family}"`), 'sans-serif'].join(', ');
}

/** How many font files charts have registered so far, for measurements. */
export function registeredChartFontFiles(): number {
  let count = 0;
  for (const files of loaded.values()) count += files.registeredFiles;
  return count;
}
