/**
 * What the bot's charts share: an opaque light background (it reads the same on Discord's dark
 * and light themes), the palette, font sizes that scale with the picture, and rendering a chart.js
 * configuration to PNG on a server-side canvas. Each chart registers the chart.js components it
 * uses, and draws its text in the bundled font (`fonts.ts`).
 *
 * @module
 */
import { createCanvas } from '@napi-rs/canvas';
import { Chart } from 'chart.js';
import type { ChartConfiguration, ChartItem, ChartType, DefaultDataPoint, Plugin } from 'chart.js';

/** The palette of every chart. */
export const CHART_COLORS = {
  background: '#ffffff',
  text: '#1f2328',
  grid: '#e3e5e8',
  primary: '#2563eb',
  secondary: '#ea580c',
} as const;

/** The size font sizes are chosen for; other sizes scale them. */
export const DESIGN_WIDTH = 800;
export const DESIGN_HEIGHT = 450;

/** Text shrinks with a smaller chart only down to three quarters, below which it gets hard to read. */
const MIN_FONT_SCALE = 0.75;

/** How much a chart of this size scales what was designed for 800 x 450 (text, padding). */
export function chartScale(width: number, height: number): number {
  return Math.max(MIN_FONT_SCALE, Math.min(width / DESIGN_WIDTH, height / DESIGN_HEIGHT));
}

/** A function giving the pixel size of a font designed at `size` for an 800 x 450 chart. */
export function fontScale(width: number, height: number): (size: number) => number {
  const scale = chartScale(width, height);
  return (size) => Math.round(size * scale);
}

/** Paints the whole canvas before chart.js draws, so the PNG has no transparent pixels. */
export function opaqueBackground<T extends ChartType>(): Plugin<T> {
  return {
    id: 'opaqueBackground',
    beforeDraw(chart) {
      const { ctx, width, height } = chart;
      ctx.save();
      ctx.fillStyle = CHART_COLORS.background;
      ctx.fillRect(0, 0, width, height);
      ctx.restore();
    },
  };
}

/**
 * Draws a chart.js configuration on a `width` x `height` canvas and encodes it as PNG. The
 * configuration should disable animation and responsiveness (nothing is displayed live).
 */
export async function renderChartPng<T extends ChartType, D = DefaultDataPoint<T>, L = unknown>(
  configuration: ChartConfiguration<T, D, L>,
  width: number,
  height: number,
): Promise<Buffer> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 100 || height < 100) {
    throw new RangeError('The chart needs integer dimensions of at least 100 pixels');
  }
  const canvas = createCanvas(width, height);
  // chart.js only needs the 2D context; the server-side canvas implements the parts it uses.
  const chart = new Chart(canvas.getContext('2d') as unknown as ChartItem, configuration);
  try {
    return await canvas.encode('png');
  } finally {
    chart.destroy();
  }
}
