/** Reading rendered charts back for tests: their RGBA pixels, and how many differ between two. */
import { createCanvas, loadImage } from '@napi-rs/canvas';

/** The RGBA pixels of a PNG. */
export async function pixels(png: Buffer): Promise<Uint8ClampedArray> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  return context.getImageData(0, 0, image.width, image.height).data;
}

/** How many pixels two same-sized pictures differ in (colour only). */
export function differingPixels(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  if (a.length !== b.length) throw new RangeError(`the pictures differ in size: ${a.length} and ${b.length} values`);
  let count = 0;
  for (let i = 0; i < a.length; i += 4) {
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) count += 1;
  }
  return count;
}
