import type { Readable } from 'node:stream';

/** One object (file) below the lake root, addressed by a key relative to the root ("raw/files/x/dt=2026-11-26/part-0.parquet"). */
export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  readonly modified: Date;
}

/** A small object and its version, as a conditional write (putBytesIf) expects it. */
export interface VersionedObject {
  readonly bytes: Uint8Array;
  /** Opaque: the S3 ETag, or a local file's content hash. */
  readonly version: string;
}

/**
 * The storage behind the lake: a local folder or an S3 bucket (with optional prefix).
 * Keys always use "/" and never start with "/". Implementations make every single-object
 * write atomic: a reader sees the old object or the new one, never a partial one.
 */
export interface Storage {
  /** The URI of the root, e.g. "s3://bucket/prefix" or "/var/lake"; for logs and lineage. */
  readonly rootUri: string;
  /** URI of one key, e.g. "s3://bucket/prefix/raw/x.parquet" or "/var/lake/raw/x.parquet". */
  uriOf(key: string): string;
  /** Writes a whole small object (manifests, state, reports). */
  putBytes(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  /** Streams a possibly large object; S3 uses multipart upload, local writes a temp file then renames. Returns bytes written. */
  putStream(key: string, body: AsyncIterable<Uint8Array> | Readable, contentType?: string): Promise<number>;
  /**
   * Copies an object to another key, atomically like every write (S3 copies on the server, the
   * bytes never pass through here). Throws LakeObjectNotFoundError when the source does not exist.
   * Returns the bytes copied.
   */
  copy(fromKey: string, toKey: string): Promise<number>;
  /** Reads a whole small object with its version, for a read-modify-write with putBytesIf; undefined when it does not exist. */
  getVersioned(key: string): Promise<VersionedObject | undefined>;
  /**
   * Writes a small object only if it is still at `version` (undefined: only if it does not exist),
   * so two writers updating one object (a manifest) cannot lose each other's change. Returns false,
   * writing nothing, when another writer changed it since it was read. S3 uses a conditional PUT
   * (If-Match / If-None-Match); a local folder a lock file beside the object.
   */
  putBytesIf(key: string, body: Uint8Array | string, version: string | undefined, contentType?: string): Promise<boolean>;
  /** Reads a whole small object; undefined when it does not exist. */
  getBytes(key: string): Promise<Uint8Array | undefined>;
  /** Streams an object; throws LakeObjectNotFoundError when it does not exist. */
  getStream(key: string): Promise<Readable>;
  /**
   * A local file path holding the object's bytes, for readers that need random access (Parquet).
   * Local storage returns the file itself; S3 downloads to a temp file. Call release() when done.
   */
  openLocal(key: string): Promise<{ readonly path: string; release(): Promise<void> }>;
  /** Metadata of one object, or undefined. */
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with prefix (recursive), in key order. Handles pagination. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** Deletes the objects; missing keys are ignored. */
  deleteMany(keys: readonly string[]): Promise<void>;
  /** Creates the root (bucket or folder) if missing. */
  ensureRoot(): Promise<void>;
}
