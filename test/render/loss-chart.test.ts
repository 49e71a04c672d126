import { describe, expect, it } from 'vitest';
import { renderLossChart } from '../../src/render/loss-chart.ts';
import type { LossPoint } from '../../src/render/loss-chart.ts';
import { differingPixels, pixels } from '../support/png-pixels.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A loss curve that falls and flattens, validation above training and rising at the end. */
function history(epochs: number, withValidation = true): LossPoint[] {
  return Array.from({ length: epochs }, (_, index) => ({
    epoch: index + 1,
    trainLoss: 3 + 4 * Math.exp(-index / 8),
    ...(withValidation ? { validationLoss: 3.4 + 4 * Math.exp(-index / 9) + 0.002 * index * index } : {}),
  }));
}

/** Width and height from the IHDR chunk, which always follows the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Pixels close to the orange of the validation curve. */
function orangePixels(data: Uint8ClampedArray): number {
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i]! > 200 && data[i + 1]! > 60 && data[i + 1]! < 120 && data[i + 2]! < 60) count += 1;
  }
  return count;
}

describe('renderLossChart', () => {
  it('renders a PNG of the requested size', async () => {
    const png = await renderLossChart(history(20), { width: 640, height: 360 });
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(pngSize(png)).toEqual({ width: 640, height: 360 });
    expect(pngSize(await renderLossChart(history(20)))).toEqual({ width: 800, height: 450 });
  });

  it('draws different pictures for different histories', async () => {
    const falling = await renderLossChart(history(20));
    const shorter = await renderLossChart(history(12));
    expect(falling.equals(shorter)).toBe(false);
  });

  it('paints every pixel opaque so the chart reads on dark and light themes', async () => {
    const data = await pixels(await renderLossChart(history(20)));
    let transparent = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! < 255) transparent += 1;
    expect(transparent).toBe(0);
  });

  it('draws the validation curve only when there is one', async () => {
    expect(orangePixels(await pixels(await renderLossChart(history(20))))).toBeGreaterThan(200);
    expect(orangePixels(await pixels(await renderLossChart(history(20, false))))).toBe(0);
  });

  it('handles a single epoch and hundreds of epochs', async () => {
    for (const epochs of [1, 400]) {
      const png = await renderLossChart(history(epochs));
      expect(pngSize(png)).toEqual({ width: 800, height: 450 });
      expect(orangePixels(await pixels(png))).toBeGreaterThan(0);
    }
  });

  it('labels the chart in the member\'s language, Simplified and Traditional alike', async () => {
    const english = await pixels(await renderLossChart(history(10), { locale: 'en-US' }));
    const simplified = await pixels(await renderLossChart(history(10), { locale: 'zh-CN' }));
    const traditional = await pixels(await renderLossChart(history(10), { locale: 'zh-TW' }));
    expect(differingPixels(simplified, english)).toBeGreaterThan(500);
    // 训练损失 and 訓練損失 differ in most characters: each locale gets its own script.
    expect(differingPixels(traditional, simplified)).toBeGreaterThan(200);
  });

  it('still draws a run whose loss diverged to infinity or NaN', async () => {
    const diverged = [...history(5), { epoch: 6, trainLoss: Number.POSITIVE_INFINITY, validationLoss: Number.NaN }];
    const png = await renderLossChart(diverged);
    expect(pngSize(png)).toEqual({ width: 800, height: 450 });
    expect(orangePixels(await pixels(png))).toBeGreaterThan(0);
  });

  it('refuses dimensions too small for a chart', async () => {
    await expect(renderLossChart(history(3), { width: 20, height: 450 })).rejects.toThrow(RangeError);
  });
});
