import type { Page } from 'playwright-core';

/** Counts the pixels of a PNG within `tolerance` of an RGB colour, decoded by the browser itself. */
export async function countPixels(page: Page, png: Buffer, hex: string, tolerance = 40): Promise<{ matching: number; byColumnTenth: number[] }> {
  const rgb = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
  return page.evaluate(
    async ({ src, rgb, tolerance }) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const g = canvas.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, img.width, img.height).data;
      let matching = 0;
      const byColumnTenth = new Array<number>(10).fill(0);
      for (let p = 0; p < d.length; p += 4) {
        if (Math.abs(d[p]! - rgb[0]!) + Math.abs(d[p + 1]! - rgb[1]!) + Math.abs(d[p + 2]! - rgb[2]!) <= tolerance) {
          matching++;
          byColumnTenth[Math.min(9, Math.floor((((p / 4) % img.width) / img.width) * 10))]!++;
        }
      }
      return { matching, byColumnTenth };
    },
    { src: `data:image/png;base64,${png.toString('base64')}`, rgb, tolerance },
  );
}
