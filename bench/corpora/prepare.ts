/**
 * Turns the files of a corpus's package into plain text, one sentence per line: each source
 * format gives paragraphs, and paragraphs are split into sentences with `Intl.Segmenter`.
 *
 * @module
 */
import fs from 'node:fs';

/** The language of a corpus: picks the sentence segmenter and how wrapped lines are joined. */
export type CorpusLanguage = 'en' | 'zh';

/**
 * How the files of a corpus are read into paragraphs.
 *
 * - `prose`: hard-wrapped prose, paragraphs separated by blank lines (Project Gutenberg texts).
 *   The Gutenberg header and licence (up to `*** START OF`) and footer (from `*** END OF`) are
 *   cut; paragraphs without sentence-ending punctuation (titles, chapter headings) are dropped.
 * - `html-paragraphs`: the text of every `<p>` element of DocBook HTML (code blocks and tables are
 *   not paragraphs); for Chinese, paragraphs left untranslated (no Han character) are dropped.
 * - `fortune`: fortune cookie files, entries separated by `%` lines, attribution lines
 *   (`-- Name`) dropped.
 * - `json-paragraphs`: JSON files holding, anywhere inside, `paragraphs` arrays of strings (the
 *   chinese-poetry data sets); each string is a paragraph.
 * - `lines`: one paragraph per line.
 */
export type CorpusFormat = 'prose' | 'html-paragraphs' | 'fortune' | 'json-paragraphs' | 'lines';

/** The sentences of `files` (read as UTF-8, in order), one per array item. */
export function prepareSentences(files: readonly string[], format: CorpusFormat, language: CorpusLanguage): string[] {
  const paragraphs = files.flatMap((file) => PARAGRAPHS[format](fs.readFileSync(file, 'utf8').replace(/^\ufeff/, ''), language));
  return paragraphs.flatMap((paragraph) => splitSentences(joinWrappedLines(paragraph), language));
}

const PARAGRAPHS: Record<CorpusFormat, (text: string, language: CorpusLanguage) => string[]> = {
  prose: (text) => blocks(stripGutenbergBoilerplate(text)).filter((block) => SENTENCE_END.test(block)),
  'html-paragraphs': (text, language) =>
    [...text.matchAll(/<p\b[^>]*>([\s\S]*?)<\/p>/g)]
      .map((match) => decodeEntities(match[1]!.replace(/<[^>]*>/g, '')))
      .filter((paragraph) => language !== 'zh' || HAN.test(paragraph)),
  fortune: (text) =>
    text
      .split(/^%\s*$/m)
      .map((entry) =>
        entry
          .split('\n')
          .filter((line) => !/^\s*(--|—)\s*\S/.test(line))
          .join('\n'),
      ),
  'json-paragraphs': (text) => collectParagraphs(JSON.parse(text) as unknown),
  lines: (text) => text.split('\n'),
};

/** A sentence ends here: terminal punctuation, possibly followed by closing quotes or brackets. */
const SENTENCE_END = /[.!?。！？…][”’"')\]」』]*\s*$|[.!?。！？][”’"')\]」』]*\s/m;
const HAN = /\p{Script=Han}/u;
/** Han characters and CJK punctuation: no space is written between them and their neighbours. */
const CJK = /[\p{Script=Han}\u3000-\u303f\uff00-\uffef]/u;

function blocks(text: string): string[] {
  return text.split(/\n\s*\n/);
}

/** The text between Project Gutenberg's start and end markers, or all of it when it has none. */
export function stripGutenbergBoilerplate(text: string): string {
  const start = /^\*\*\* ?START OF (THE|THIS) PROJECT GUTENBERG.*$/im.exec(text);
  const body = start === null ? text : text.slice(start.index + start[0].length);
  const end = /^\*\*\* ?END OF (THE|THIS) PROJECT GUTENBERG/im.exec(body);
  return end === null ? body : body.slice(0, end.index);
}

function collectParagraphs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(collectParagraphs);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === 'paragraphs' && Array.isArray(inner) ? inner.filter((item): item is string => typeof item === 'string') : collectParagraphs(inner),
  );
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * One line of text from a wrapped paragraph: a line break becomes a space between Latin words
 * and nothing next to a Han character or CJK punctuation (Chinese writes no spaces). Runs of
 * white space, the ideographic space included, become one space.
 */
export function joinWrappedLines(paragraph: string): string {
  return paragraph
    .replace(/[ \t\u00a0\u3000]*\n[ \t\u00a0\u3000]*/g, (lineBreak: string, offset: number, whole: string) => {
      const before = whole[offset - 1] ?? '';
      const after = whole[offset + lineBreak.length] ?? '';
      return CJK.test(before) || CJK.test(after) ? '' : ' ';
    })
    .replace(/[\s\u3000]+/g, ' ')
    .trim();
}

/**
 * English abbreviations after which `Intl.Segmenter` wrongly ends a sentence ("Mr. Weston"), and
 * single initials ("R. A. Heinlein").
 */
const ENGLISH_ABBREVIATION = /(?:^|[\s(])(?:Mr|Mrs|Ms|Messrs|Mme|Dr|St|Rev|Col|Capt|Gen|Lt|Sgt|Jr|Sr|Prof|vs|e\.g|i\.e|[A-Z])\.\s*$/;

const SEGMENTERS: Record<CorpusLanguage, Intl.Segmenter> = {
  en: new Intl.Segmenter('en', { granularity: 'sentence' }),
  zh: new Intl.Segmenter('zh', { granularity: 'sentence' }),
};

/** The sentences of one line of text, trimmed; pieces without a letter or Han character are dropped. */
export function splitSentences(text: string, language: CorpusLanguage): string[] {
  const sentences: string[] = [];
  let pending = '';
  for (const { segment } of SEGMENTERS[language].segment(text)) {
    pending += segment;
    if (language === 'en' && ENGLISH_ABBREVIATION.test(pending)) continue;
    sentences.push(pending.trim());
    pending = '';
  }
  if (pending.trim() !== '') sentences.push(pending.trim());
  return sentences.filter((sentence) => /\p{L}/u.test(sentence));
}
