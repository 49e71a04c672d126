/**
 * Renders the loss curves of a training run as a PNG for Discord: training and validation loss per
 * epoch, drawn with chart.js on a server-side canvas.
 *
 * The image has an opaque light background so it reads the same on Discord's dark and light
 * themes; its labels are in the member's language, drawn in the bundled Chinese font.
 *
 * @module
 */
import { Chart, Legend, LineController, LineElement, LinearScale, PointElement, Title } from 'chart.js';
import type { ChartConfiguration } from 'chart.js';
import { resolveLanguage } from '../i18n/index.ts';
import type { Language } from '../i18n/index.ts';
import { CHART_COLORS, DESIGN_HEIGHT, DESIGN_WIDTH, chartScale, opaqueBackground, renderChartPng } from './chart-canvas.ts';
import { chartFontFamily } from './fonts.ts';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Title);

/** The loss figures of one epoch. */
export interface LossPoint {
  epoch: number;
  trainLoss: number;
  validationLoss?: number;
}

/** Options of {@link renderLossChart}. */
export interface LossChartOptions {
  /** Replaces the default title. */
  title?: string;
  /** Pixels; default 800. */
  width?: number;
  /** Pixels; default 450. */
  height?: number;
  /** Discord or BCP 47 locale of the labels and numbers; default English. */
  locale?: string;
}

interface Labels {
  title: string;
  epoch: string;
  loss: string;
  training: string;
  validation: string;
}

const LABELS: Record<Language, Labels> = {
  en: { title: 'Training loss', epoch: 'Epoch', loss: 'Loss (cross-entropy)', training: 'Training', validation: 'Validation' },
  'zh-CN': { title: '训练损失', epoch: '轮次', loss: '损失（交叉熵）', training: '训练', validation: '验证' },
  'zh-TW': { title: '訓練損失', epoch: '輪次', loss: '損失（交叉熵）', training: '訓練', validation: '驗證' },
};

/** Epochs closer than this many pixels are drawn without point markers, which would merge into a blur. */
const MIN_PIXELS_PER_MARKER = 16;

/** A loss that can be drawn; NaN or infinite losses (a diverged run) leave a gap instead of breaking the scale. */
const drawable = (loss: number | undefined): number | null => (loss !== undefined && Number.isFinite(loss) ? loss : null);

/**
 * Renders training (and, where present, validation) loss per epoch as a PNG.
 *
 * Handles a single epoch (drawn as points) as well as hundreds (lines without markers). Epochs need
 * not be contiguous; the history is drawn in epoch order.
 */
export async function renderLossChart(history: readonly LossPoint[], options: LossChartOptions = {}): Promise<Buffer> {
  const width = options.width ?? DESIGN_WIDTH;
  const height = options.height ?? DESIGN_HEIGHT;
  const language = resolveLanguage(options.locale ?? 'en');
  const labels = LABELS[language];
  const title = options.title ?? labels.title;
  const family = chartFontFamily(language, [title, ...Object.values(labels)]);

  const points = [...history].sort((a, b) => a.epoch - b.epoch);
  const first = points[0];
  const last = points[points.length - 1];
  const hasValidation = points.some((point) => drawable(point.validationLoss) !== null);
  const pointRadius = points.length * MIN_PIXELS_PER_MARKER <= width ? 3 : 0;
  const scale = chartScale(width, height);
  // Every text names the family: chart.js gives the title and legend its global default otherwise.
  const font = (size: number) => ({ family, size: Math.round(size * scale) });
  const series = (label: string, color: string, loss: (point: LossPoint) => number | undefined) => ({
    label,
    data: points.map((point) => ({ x: point.epoch, y: drawable(loss(point)) })),
    borderColor: color,
    backgroundColor: color,
    borderWidth: 2,
    pointRadius,
    spanGaps: true,
  });
  const axisTitle = (text: string) => ({ display: true, text, color: CHART_COLORS.text, font: font(14) });

  const configuration: ChartConfiguration<'line', { x: number; y: number | null }[]> = {
    type: 'line',
    data: {
      datasets: [
        series(labels.training, CHART_COLORS.primary, (point) => point.trainLoss),
        ...(hasValidation ? [series(labels.validation, CHART_COLORS.secondary, (point) => point.validationLoss)] : []),
      ],
    },
    options: {
      responsive: false,
      animation: false,
      devicePixelRatio: 1,
      locale: options.locale ?? 'en',
      layout: { padding: Math.round(12 * scale) },
      scales: {
        x: {
          type: 'linear',
          // Start at the first epoch, not at a rounder number before it; chart.js widens a single epoch itself.
          ...(first !== undefined && last !== undefined && first.epoch < last.epoch ? { min: first.epoch, max: last.epoch } : {}),
          title: axisTitle(labels.epoch),
          ticks: { precision: 0, color: CHART_COLORS.text, font: font(12) },
          grid: { color: CHART_COLORS.grid },
        },
        y: {
          type: 'linear',
          // Keeps the highest and lowest points off the chart border.
          grace: '5%',
          title: axisTitle(labels.loss),
          ticks: { color: CHART_COLORS.text, font: font(12) },
          grid: { color: CHART_COLORS.grid },
        },
      },
      plugins: {
        title: { display: true, text: title, color: CHART_COLORS.text, font: { ...font(18), weight: 'bold' } },
        legend: { display: true, labels: { color: CHART_COLORS.text, usePointStyle: true, pointStyle: 'line', font: font(13) } },
      },
    },
    plugins: [opaqueBackground<'line'>()],
  };
  return renderChartPng(configuration, width, height);
}
