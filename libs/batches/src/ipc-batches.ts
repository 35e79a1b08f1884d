import * as arrow from 'apache-arrow';
import { assembleBatch } from './assemble-batch';

/**
 * The non-empty record batches of an Arrow IPC stream as the lake's readers yield them:
 * dictionary-encoded strings as plain Utf8, columns in `columns` order (default: as stored).
 * Loads no Parquet decoder, so a thread that is only handed decoded chunks stays small.
 */
export function batchesOfIpc(ipc: Uint8Array, columns?: readonly string[]): arrow.RecordBatch[] {
  const out: arrow.RecordBatch[] = [];
  for (const batch of arrow.tableFromIPC(ipc).batches) {
    if (batch.numRows === 0) continue;
    // parquet-wasm returns columns in file order whatever order `columns` asks for.
    out.push(decodeDictionaries(columns ? inOrder(batch, columns) : batch));
  }
  return out;
}

// RecordBatch.select keeps the schema's order, so pick columns by index instead.
function inOrder(batch: arrow.RecordBatch, columns: readonly string[]): arrow.RecordBatch {
  const names = batch.schema.fields.map((f) => f.name);
  return batch.selectAt(columns.map((c) => names.indexOf(c)));
}

/** The schema with dictionary-encoded string fields as plain Utf8 (the same schema when there are none). */
export function plainSchema(schema: arrow.Schema): arrow.Schema {
  if (!schema.fields.some(isDictionaryOfUtf8)) return schema;
  return new arrow.Schema(
    schema.fields.map((f) => (isDictionaryOfUtf8(f) ? f.clone({ type: new arrow.Utf8() }) : f)),
    schema.metadata,
  );
}

function isDictionaryOfUtf8(field: arrow.Field): boolean {
  return arrow.DataType.isDictionary(field.type) && arrow.DataType.isUtf8(field.type.dictionary);
}

function decodeDictionaries(batch: arrow.RecordBatch): arrow.RecordBatch {
  const schema = plainSchema(batch.schema);
  if (schema === batch.schema) return batch;
  const children = batch.data.children.map((child, i) =>
    isDictionaryOfUtf8(batch.schema.fields[i]!) ? decodeUtf8Dictionary(child as arrow.Data<arrow.Dictionary<arrow.Utf8>>) : child,
  );
  return assembleBatch(schema, children, batch.numRows);
}

/** Copies each row's dictionary entry into a plain Utf8 column (nulls stay null). */
function decodeUtf8Dictionary(data: arrow.Data<arrow.Dictionary<arrow.Utf8>>): arrow.Data<arrow.Utf8> {
  const dict = flattenUtf8(data.dictionary!);
  const indices = data.values as ArrayLike<number | bigint>;
  const { length } = data;
  const offsets = new Int32Array(length + 1);
  const validity = new Uint8Array(((length + 63) & ~63) >> 3);
  let nulls = 0;
  let bytes = 0;
  for (let i = 0; i < length; i++) {
    const k = Number(indices[i]);
    if (data.getValid(i) && dict.valid(k)) {
      bytes += dict.offsets[k + 1]! - dict.offsets[k]!;
      validity[i >> 3]! |= 1 << (i & 7);
    } else {
      nulls++;
    }
    offsets[i + 1] = bytes;
  }
  const values = new Uint8Array(bytes);
  for (let i = 0; i < length; i++) {
    const start = offsets[i]!;
    const end = offsets[i + 1]!;
    if (end === start) continue;
    const from = dict.offsets[Number(indices[i])]!;
    values.set(dict.values.subarray(from, from + end - start), start);
  }
  return arrow.makeData({ type: new arrow.Utf8(), length, nullCount: nulls, nullBitmap: nulls ? validity : null, valueOffsets: offsets, data: values });
}

/** One contiguous view of a dictionary, which arrow may hold in several chunks. */
function flattenUtf8(dictionary: arrow.Vector<arrow.Utf8>): { offsets: Int32Array; values: Uint8Array; valid(k: number): boolean } {
  const chunks = dictionary.data;
  if (chunks.length === 1) {
    const d = chunks[0]!;
    return { offsets: d.valueOffsets, values: d.values, valid: (k) => d.getValid(k) };
  }
  const strings: (string | null)[] = [...dictionary];
  const encoded = strings.map((s) => Buffer.from(s ?? '', 'utf8'));
  const offsets = new Int32Array(strings.length + 1);
  encoded.forEach((b, k) => (offsets[k + 1] = offsets[k]! + b.length));
  return { offsets, values: Buffer.concat(encoded), valid: (k) => strings[k] !== null };
}
