import { describe, expect, it } from 'vitest';
import { bar, barTable, progressBar } from '../../src/text/bars.ts';
import { truncate } from '../../src/text/limits.ts';
import { codeBlock, inlineCode } from '../../src/text/markdown.ts';
import { displayWidth, truncateToWidth } from '../../src/text/width.ts';

describe('text helpers', () => {
  it('counts CJK characters and emoji as two cells and combining marks as none', () => {
    expect(displayWidth('cat')).toBe(3);
    expect(displayWidth('猫咪')).toBe(4);
    expect(displayWidth('ｆｕｌｌ')).toBe(8);
    expect(displayWidth('😀')).toBe(2);
    expect(displayWidth('é')).toBe(1);
    expect(displayWidth('e\u0301')).toBe(1);
  });

  it('cuts labels to a display width with an ellipsis', () => {
    expect(truncateToWidth('猫猫猫猫猫', 6)).toBe('猫猫…');
    expect(displayWidth(truncateToWidth('猫猫猫猫猫', 6))).toBeLessThanOrEqual(6);
    expect(truncateToWidth('short', 6)).toBe('short');
  });

  it('draws bars in eighths of a cell', () => {
    expect(bar(1, 4)).toBe('████');
    expect(bar(0.5, 4)).toBe('██');
    expect(bar(1 / 32, 4)).toBe('▏');
    expect(bar(0, 4)).toBe('');
  });

  it('aligns bar table columns whatever the labels’ scripts', () => {
    const table = barTable([
      { label: '猫', fraction: 0.5, value: '50.0%' },
      { label: 'dog', fraction: 0.25, value: '25.0%' },
      { label: '小鸟', fraction: 0.05, value: '5.0%' },
    ], { barWidth: 8 });
    const lines = table.split('\n');
    expect(lines.map((line) => displayWidth(line))).toEqual([displayWidth(lines[0] ?? ''), displayWidth(lines[0] ?? ''), displayWidth(lines[0] ?? '')]);
    expect(lines[0]).toBe(`猫${' '.repeat(4)}████${' '.repeat(6)}50.0%`);
    expect(lines[2]).toBe(`小鸟${' '.repeat(2)}▍${' '.repeat(10)}5.0%`);
  });

  it('draws a progress bar with its percentage', () => {
    expect(progressBar(0.5, 10)).toBe('█████░░░░░ 50%');
    expect(progressBar(2, 4)).toBe('████ 100%');
  });

  it('keeps code spans and blocks intact whatever the text contains', () => {
    expect(inlineCode('a | b')).toBe('`a | b`');
    expect(inlineCode('a ` b')).toBe('`` a ` b ``');
    expect(codeBlock('x ``` y')).not.toMatch(/x ```/);
  });

  it('truncates without splitting a surrogate pair', () => {
    expect(truncate('ab😀cd', 4)).toBe('ab…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});
