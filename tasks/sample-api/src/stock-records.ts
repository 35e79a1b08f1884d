/** Warehouses the sample inventory holds stock in. */
export const WAREHOUSES = Object.freeze([
  { code: 'WH-EAST', region: 'Northeast' },
  { code: 'WH-CENTRAL', region: 'Midwest' },
  { code: 'WH-WEST', region: 'West' },
] as const);

/** One stock record as the API serves it: nested objects on purpose, so ingest's flattening has work to do. */
export interface StockRecord {
  readonly sku: string;
  readonly warehouse: { readonly code: string; readonly region: string };
  readonly quantity: { readonly on_hand: number; readonly reserved: number };
  readonly reorder_point: number;
  readonly tags: readonly string[];
  readonly updated_at: string;
}

/** A small deterministic hash of text to [0, 2^32), so the same product always gets the same stock. */
function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Stock of products PROD000001..PROD<products> (the sample generator's product ids) in every
 * warehouse, as of `asOf`: each record last changed at a deterministic time in the 30 days before
 * it. Pure.
 */
export function generateStock(products: number, asOf: Date): StockRecord[] {
  const out: StockRecord[] = [];
  for (let n = 1; n <= products; n++) {
    const sku = `PROD${String(n).padStart(6, '0')}`;
    for (const w of WAREHOUSES) {
      const h = hash(`${sku}/${w.code}`);
      const onHand = h % 500;
      out.push({
        sku,
        warehouse: { code: w.code, region: w.region },
        quantity: { on_hand: onHand, reserved: (h >>> 9) % Math.max(1, Math.min(onHand, 40)) },
        reorder_point: 20 + ((h >>> 17) % 60),
        tags: onHand < 25 ? ['low_stock'] : [],
        updated_at: new Date(asOf.getTime() - ((h >>> 3) % (30 * 86_400)) * 1000).toISOString(),
      });
    }
  }
  return sortStock(out);
}

/** Records in change order (updated_at, sku, warehouse), the order pages are cut in. */
export function sortStock(records: StockRecord[]): StockRecord[] {
  return records.sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.sku.localeCompare(b.sku) || a.warehouse.code.localeCompare(b.warehouse.code));
}
