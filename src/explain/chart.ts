/**
 * The per-position influence chart of `/explain`: for each position read, the probability drop
 * when the word is hidden and the size of the gradient with respect to its vector.
 *
 * @module
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Title } from 'chart.js';
import type { ChartConfiguration, Tick } from 'chart.js';
import { resolveLanguage } from '../i18n/index.ts';
import { CHART_COLORS, fontScale, opaqueBackground, renderChartPng } from '../render/chart-canvas.ts';
import { chartFontFamily } from '../render/fonts.ts';
import { explainMessagesIn } from './i18n/index.ts';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Title);

/** One bar group of the chart. */
export interface InfluenceBar {
  /** Position label, e.g. `3 cat`. */
  label: string;
  /** Percentage points p(target) loses when the word is hidden; null where nothing was hidden (start marker). */
  occlusionDrop: number | null;
  /** `‖∂ log p(target) / ∂e‖` at this position. */
  gradientNorm: number;
}

/**
 * The label of an axis tick, left empty for the odd values chart.js adds at explicit axis bounds
 * (such as -0.0615) so that only the regular grid is numbered.
 */
function gridTickLabel(value: number | string, index: number, ticks: readonly Tick[]): string {
  const number = Number(value);
  const step = ticks.length > 2 ? Math.abs((ticks[2]?.value ?? 0) - (ticks[1]?.value ?? 0)) : 0;
  const onGrid = step === 0 || Math.abs(number / step - Math.round(number / step)) < 1e-6;
  return onGrid || (index > 0 && index < ticks.length - 1) ? String(Number(number.toPrecision(3))) : '';
}

const WIDTH = 900;
const HEIGHT = 450;

/** Renders the influence bars as a PNG, labelled in the member's language. */
export async function renderInfluenceChart(bars: readonly InfluenceBar[], target: string, locale: string): Promise<Buffer> {
  const language = resolveLanguage(locale);
  const m = explainMessagesIn(language);
  const title = m.chart.title(target);
  const family = chartFontFamily(language, [title, m.chart.occlusion, m.chart.gradient, m.chart.position, ...bars.map((entry) => entry.label)]);
  const size = fontScale(WIDTH, HEIGHT);
  // Every text names the family: chart.js gives the title, legend and ticks its global default otherwise.
  const font = (points: number) => ({ family, size: size(points) });
  // Hiding a word can also raise the probability (a negative drop). Both axes then get the same
  // share below zero, so that their zeros lie on one line.
  const drops = bars.map((entry) => entry.occlusionDrop ?? 0);
  const highestDrop = Math.max(0, ...drops) * 1.05;
  const lowestDrop = Math.min(0, ...drops) * 1.05;
  const largestGradient = Math.max(...bars.map((entry) => entry.gradientNorm)) * 1.05;
  const aligned = lowestDrop < 0 && highestDrop > 0 && largestGradient > 0;
  const occlusionRange = aligned ? { min: lowestDrop, max: highestDrop } : { beginAtZero: true };
  const gradientRange = aligned ? { min: (lowestDrop / highestDrop) * largestGradient, max: largestGradient } : { beginAtZero: true };
  const axis = (text: string, color: string) => ({ display: true, text, color, font: font(13) });
  const configuration: ChartConfiguration<'bar', (number | null)[], string> = {
    type: 'bar',
    data: {
      labels: bars.map((entry) => entry.label),
      datasets: [
        { label: m.chart.occlusion, data: bars.map((entry) => entry.occlusionDrop), backgroundColor: CHART_COLORS.primary, yAxisID: 'occlusion' },
        { label: m.chart.gradient, data: bars.map((entry) => entry.gradientNorm), backgroundColor: CHART_COLORS.secondary, yAxisID: 'gradient' },
      ],
    },
    options: {
      responsive: false,
      animation: false,
      devicePixelRatio: 1,
      layout: { padding: size(12) },
      scales: {
        x: { title: axis(m.chart.position, CHART_COLORS.text), ticks: { color: CHART_COLORS.text, font: font(12), autoSkip: false, maxRotation: 60 }, grid: { display: false } },
        occlusion: {
          type: 'linear',
          position: 'left',
          ...occlusionRange,
          title: axis(m.chart.occlusion, CHART_COLORS.primary),
          ticks: { color: CHART_COLORS.primary, font: font(12), callback: gridTickLabel },
          grid: { color: CHART_COLORS.grid },
        },
        gradient: {
          type: 'linear',
          position: 'right',
          ...gradientRange,
          title: axis(m.chart.gradient, CHART_COLORS.secondary),
          // A gradient size is never negative: the part below zero only aligns the axes.
          ticks: { color: CHART_COLORS.secondary, font: font(12), callback: (value, index, ticks) => (Number(value) < 0 ? '' : gridTickLabel(value, index, ticks)) },
          grid: { display: false },
        },
      },
      plugins: {
        title: { display: true, text: title, color: CHART_COLORS.text, font: { ...font(18), weight: 'bold' } },
        legend: { display: true, labels: { color: CHART_COLORS.text, font: font(12) } },
      },
    },
    plugins: [opaqueBackground()],
  };
  return renderChartPng(configuration, WIDTH, HEIGHT);
}
