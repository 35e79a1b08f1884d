/** An OpenLineage dataset identity: namespace + name (see the spec's naming conventions). */
export interface DatasetName {
  readonly namespace: string;
  readonly name: string;
}

/**
 * The OpenLineage identity of a URI the steps report. S3: namespace "s3://bucket", name the key
 * ("curated/fact_sales/dt=2026-11-26"). A local path: namespace "file", name the absolute path.
 * Other URLs (sqlite://file/table, postgres://host:5432/db/table): namespace scheme://authority,
 * name the path. A partition folder's trailing "/" is dropped.
 */
export function datasetNameOf(uri: string): DatasetName {
  const trimmed = uri.length > 1 ? uri.replace(/\/+$/, '') : uri;
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)\/?(.*)$/i.exec(trimmed);
  if (!m) return { namespace: 'file', name: trimmed };
  const [, scheme, authority, path] = m;
  if (scheme!.toLowerCase() === 'file') return { namespace: 'file', name: `/${path}` };
  return { namespace: `${scheme!.toLowerCase()}://${authority}`, name: path || '/' };
}
