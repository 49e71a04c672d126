import { GlobalFonts } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { renderInfluenceChart, type InfluenceBar } from '../../src/explain/chart.ts';
import { chartFontFamily, parseUnicodeRange, registeredChartFontFiles } from '../../src/render/fonts.ts';
import { differingPixels, pixels } from '../support/png-pixels.ts';

/** The influence chart of `我 喜欢`, with other words in their place. */
function influence(first: string, second: string): Promise<Buffer> {
  const bars: InfluenceBar[] = [
    { label: '0 ⟨s⟩', occlusionDrop: null, gradientNorm: 0.2 },
    { label: `1 ${first}`, occlusionDrop: 12, gradientNorm: 0.5 },
    { label: `2 ${second}`, occlusionDrop: 30, gradientNorm: 0.9 },
  ];
  return renderInfluenceChart(bars, '玩具', 'zh-CN');
}

describe('the bundled chart font', () => {
  it('draws the words of /explain 我 喜欢 whatever fonts the machine has', async () => {
    const words = await pixels(await influence('我', '喜欢'));
    const blanked = await pixels(await influence('', ''));
    const otherWord = await pixels(await influence('你', '喜欢'));
    // The words left ink where the blanked chart has none...
    expect(differingPixels(words, blanked)).toBeGreaterThan(100);
    // ...and real glyphs: a missing glyph is the same box for every character, so 我 and 你
    // would give the same picture.
    expect(differingPixels(words, otherWord)).toBeGreaterThan(20);
  });

  it('registers only the files that hold the characters drawn, each once', () => {
    const before = registeredChartFontFiles();
    const family = chartFontFamily('zh-TW', ['訓練損失']);
    expect(family).toBe('"Bundled Noto Sans TC", "Bundled Noto Sans SC", sans-serif');
    expect(GlobalFonts.has('Bundled Noto Sans TC')).toBe(true);
    const added = registeredChartFontFiles() - before;
    // Latin text and four characters: a handful of the two hundred files.
    expect(added).toBeGreaterThan(0);
    expect(added).toBeLessThanOrEqual(5);
    chartFontFamily('zh-TW', ['訓練損失']);
    expect(registeredChartFontFiles()).toBe(before + added);
  });

  it('reads CSS unicode ranges', () => {
    expect(parseUnicodeRange('U+4E00-4E2F,U+4E31, U+ff01')).toEqual([
      [0x4e00, 0x4e2f],
      [0x4e31, 0x4e31],
      [0xff01, 0xff01],
    ]);
    expect(() => parseUnicodeRange('U+4E00-,')).toThrow(/not a unicode range/);
  });
});
