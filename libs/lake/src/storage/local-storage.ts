import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, mkdir, mkdtemp, open, readFile, readdir, readlink, realpath, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadInputError, LakeObjectNotFoundError, PipelineError } from '@salesflow/errors';
import type { ObjectInfo, Storage, VersionedObject } from '../storage';

/** Temp files are `.<name>.<12 hex>.tmp`; list() must never show them, even ones a crash left behind. */
const TEMP_FILE = /^\..+\.[0-9a-f]{12}\.tmp$/;
/** The lock of a conditional write, `.<name>.lock` beside the object; list() never shows it either. */
const LOCK_FILE = /^\..+\.lock(\.[0-9a-f]{12}\.broken)?$/;
/** A lock is held for a read, a compare and a rename: one older than this belongs to a writer that hung or died elsewhere. */
const LOCK_STALE_MS = 30_000;
/** How long putBytesIf waits for a lock before it fails. */
const LOCK_WAIT_MS = 60_000;

const versionOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The lake in a local folder. Every write goes to a temp file in the target's own folder and is
 * then renamed over the target, so a reader sees the old object or the new one, never a partial one
 * (rename is atomic only within one file system, hence the same folder).
 *
 * Symbolic links are followed only while they stay under the root: a link (or a linked folder)
 * that resolves outside it is refused with exit 4, so a landing folder cannot hand the pipeline
 * a key file or any other file of the machine. Reads open the file first and then check where the
 * opened descriptor really leads (/proc/self/fd), reading only from that descriptor: a link
 * swapped between a check and an open cannot slip another file in.
 */
export class LocalStorage implements Storage {
  /** The absolute folder path. */
  readonly rootUri: string;

  /** @param root the lake folder; must be absolute (openStorage resolves relative paths). */
  constructor(root: string) {
    if (!path.isAbsolute(root)) {
      throw new PipelineError(`LocalStorage needs an absolute folder, got "${root}"`, {
        context: { root },
        fix: 'build it through openStorage(), which resolves relative paths against the working directory',
      });
    }
    this.rootUri = path.resolve(root);
  }

  private realRoot: string | undefined;

  /** The root after following links, which every opened file must lie under. */
  private async rootReal(): Promise<string> {
    this.realRoot ??= await realpath(this.rootUri).catch(() => undefined);
    return this.realRoot ?? this.rootUri;
  }

  private async isUnderRoot(real: string): Promise<boolean> {
    const root = await this.rootReal();
    return real === root || real.startsWith(root + path.sep);
  }

  /**
   * The target path of a write, refused (SymlinkOutsideRootError) when it resolves outside the
   * root. A path that does not exist yet resolves through its nearest existing folder. Writes go
   * to the lake, which only the pipeline writes; reads of landing folders use openInside.
   */
  private async inside(key: string): Promise<string> {
    const file = this.uriOf(key);
    let probe = file;
    let real: string | undefined;
    while (real === undefined) {
      try {
        real = await realpath(probe);
      } catch (err) {
        if (!isMissing(err) || probe === this.rootUri || path.dirname(probe) === probe) return file;
        probe = path.dirname(probe);
      }
    }
    if (!(await this.isUnderRoot(real))) throw new SymlinkOutsideRootError(key, this.rootUri);
    return file;
  }

  /**
   * Opens the object for reading, then checks the descriptor: it must be a regular file whose
   * real path (what the kernel opened, not what the name says now) lies under the root. Missing
   * files and folders come back as undefined. O_NONBLOCK keeps a FIFO planted in a landing folder
   * from hanging the open.
   */
  private async openInside(key: string): Promise<{ handle: FileHandle; size: number; modified: number } | undefined> {
    const file = this.uriOf(key);
    let handle: FileHandle;
    try {
      handle = await open(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    try {
      const real = await openedPath(handle, file);
      if (!(await this.isUnderRoot(real))) throw new SymlinkOutsideRootError(key, this.rootUri);
      const s = await handle.stat();
      if (!s.isFile()) {
        await handle.close();
        return undefined;
      }
      return { handle, size: s.size, modified: s.mtimeMs };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  private async openExisting(key: string): Promise<{ handle: FileHandle; size: number; modified: number }> {
    const opened = await this.openInside(key);
    if (!opened) throw new LakeObjectNotFoundError(this.uriOf(key));
    return opened;
  }

  uriOf(key: string): string {
    return path.join(this.rootUri, ...checkKey(key).split('/'));
  }

  async putBytes(key: string, body: Uint8Array | string): Promise<void> {
    await this.writeAtomically(key, async (tmp) => {
      // flush fsyncs before the rename, so a crash cannot leave an empty file under the final name.
      await writeFile(tmp, body, { flag: 'wx', flush: true });
    });
  }

  async putStream(key: string, body: AsyncIterable<Uint8Array> | Readable): Promise<number> {
    let written = 0;
    await this.writeAtomically(key, async (tmp) => {
      // Open before streaming: a source that fails at once must not race the open, or the temp
      // file would appear after the clean-up that removes it.
      const handle = await open(tmp, 'wx');
      await pipeline(
        body,
        async function* count(source: AsyncIterable<Uint8Array | string>) {
          for await (const chunk of source) {
            const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
            written += bytes.byteLength;
            yield bytes;
          }
        },
        handle.createWriteStream({ flush: true }),
      );
    });
    return written;
  }

  async copy(fromKey: string, toKey: string): Promise<number> {
    const { handle } = await this.openExisting(fromKey);
    let bytes = 0;
    try {
      // Copied from the checked descriptor, never by name.
      bytes = await this.putStream(toKey, handle.createReadStream({ autoClose: false }));
    } finally {
      await handle.close();
    }
    return bytes;
  }

  async getBytes(key: string): Promise<Uint8Array | undefined> {
    const opened = await this.openInside(key);
    if (!opened) return undefined;
    try {
      return await opened.handle.readFile();
    } finally {
      await opened.handle.close();
    }
  }

  async getVersioned(key: string): Promise<VersionedObject | undefined> {
    const bytes = await this.getBytes(key);
    return bytes ? { bytes, version: versionOf(bytes) } : undefined;
  }

  /**
   * Compare and swap under a lock file (`.<name>.lock`, created exclusively) held for the read,
   * the compare and the rename. A lock whose process is gone (same host) or older than 30 s is
   * broken, so a writer killed inside those few milliseconds does not block the others.
   */
  async putBytesIf(key: string, body: Uint8Array | string, version: string | undefined): Promise<boolean> {
    const target = await this.inside(key);
    await mkdir(path.dirname(target), { recursive: true });
    const lock = path.join(path.dirname(target), `.${path.basename(target)}.lock`);
    const release = await acquireLock(lock, key);
    try {
      const current = await this.getBytes(key);
      if ((current ? versionOf(current) : undefined) !== version) return false;
      await this.putBytes(key, body);
      return true;
    } finally {
      await release();
    }
  }

  async getStream(key: string): Promise<Readable> {
    // Opening first turns a missing file into our error now, instead of an 'error' event later.
    return (await this.openExisting(key)).handle.createReadStream();
  }

  /**
   * On Linux the path handed out leads to the checked descriptor (a link named like the object,
   * in a temp folder, to /proc/<pid>/fd/N), kept open until release, so a reader opening it gets
   * that very file whatever happens to the name; elsewhere it is the object's own path.
   */
  async openLocal(key: string): Promise<{ readonly path: string; release(): Promise<void> }> {
    const { handle } = await this.openExisting(key);
    const byFd = `/proc/${process.pid}/fd/${handle.fd}`;
    if (!(await stat(byFd).then(() => true, () => false))) {
      await handle.close();
      return Object.freeze({ path: this.uriOf(key), release: async () => {} });
    }
    try {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'salesflow-open-'));
      // Keep the base name so readers that sniff the extension (".parquet") still work.
      const file = path.join(dir, path.posix.basename(key));
      await symlink(byFd, file);
      const release = async () => {
        await rm(dir, { recursive: true, force: true });
        await handle.close();
      };
      return Object.freeze({ path: file, release });
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const opened = await this.openInside(key);
    if (!opened) return undefined;
    await opened.handle.close();
    // A Date of our own realm rather than fs's, so instanceof Date holds under jest's VM too.
    return Object.freeze({ key, size: opened.size, modified: new Date(opened.modified) });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    // A prefix is a string prefix like S3's ("raw/x/dt=2026"), so walk the deepest folder it fully names.
    const slash = prefix.lastIndexOf('/');
    const startKey = slash < 0 ? '' : `${checkKey(prefix.slice(0, slash))}/`;
    const found: ObjectInfo[] = [];
    await this.walk(startKey, prefix, found);
    return found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      try {
        await unlink(this.uriOf(key));
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
    }
  }

  async ensureRoot(): Promise<void> {
    await mkdir(this.rootUri, { recursive: true });
  }

  private async walk(dirKey: string, prefix: string, into: ObjectInfo[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(path.join(this.rootUri, ...dirKey.split('/')), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const entry of entries) {
      const key = dirKey + entry.name;
      if (entry.isDirectory()) {
        const asDir = `${key}/`;
        // Descend only where keys below can still match the prefix.
        if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) await this.walk(asDir, prefix, into);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && !TEMP_FILE.test(entry.name) && !LOCK_FILE.test(entry.name) && key.startsWith(prefix)) {
        const info = await this.stat(key);
        if (info) into.push(info);
      }
    }
  }

  private async writeAtomically(key: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const target = await this.inside(key);
    const dir = path.dirname(target);
    await mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await write(tmp);
      await rename(tmp, target);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }
}

/** A key of a local lake or landing folder resolves, through a symbolic link, outside the folder. */
export class SymlinkOutsideRootError extends BadInputError {
  constructor(key: string, root: string) {
    super(`${path.join(root, key)} is a symbolic link (or lies under one) that leads outside ${root}; it is not read`, {
      context: { file: path.join(root, key) },
      fix: `replace the link with the file itself (cp -L), or point the source's path at the folder the file really is in`,
    });
  }
}

/** Keys are relative "a/b/c"; anything that could climb out of the root is a programming error. */
function checkKey(key: string): string {
  const parts = key.split('/');
  if (key === '' || key.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..') || key.includes('\\')) {
    throw new PipelineError(`Invalid lake key "${key}": keys are relative paths like "raw/x/part-0.parquet"`, { context: { key } });
  }
  return key;
}

/**
 * Where an opened descriptor really leads: /proc/self/fd on Linux. Elsewhere, the name's real
 * path, accepted only when it is the same file (device and inode) as the descriptor, so a swap
 * between the open and this check is refused rather than trusted.
 */
async function openedPath(handle: FileHandle, file: string): Promise<string> {
  const byFd = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
  if (byFd !== undefined && byFd.startsWith('/')) return byFd;
  const real = await realpath(file);
  const [opened, named] = await Promise.all([handle.stat(), stat(real)]);
  if (opened.dev !== named.dev || opened.ino !== named.ino) {
    throw new PipelineError(`${file} was replaced while it was being opened`, {
      context: { file },
      fix: 'retry the step once whatever writes the landing folder has finished',
    });
  }
  return real;
}

/** Takes the lock file of a conditional write, breaking a stale one; returns its release. */
async function acquireLock(lock: string, key: string): Promise<() => Promise<void>> {
  const nonce = randomBytes(8).toString('hex');
  const mine = JSON.stringify({ pid: process.pid, host: os.hostname(), nonce });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    try {
      await writeFile(lock, mine, { flag: 'wx' });
      return async () => {
        // Remove only our own lock: had it been broken as stale, another writer's is there now.
        if ((await readFile(lock, 'utf8').catch(() => '')) === mine) await unlink(lock).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    await breakIfStale(lock);
    if (Date.now() > deadline) {
      throw new PipelineError(`could not take the lock ${lock} of ${key} within ${LOCK_WAIT_MS / 1000} s`, {
        context: { key, lock },
        fix: 'another writer holds it: if no pipeline process is running on this lake, delete the lock file',
      });
    }
    await new Promise((r) => setTimeout(r, wait + Math.random() * wait));
  }
}

async function breakIfStale(lock: string): Promise<void> {
  const [text, info] = await Promise.all([readFile(lock, 'utf8').catch(() => undefined), stat(lock).catch(() => undefined)]);
  if (text === undefined || !info) return;
  let holder: { pid?: number; host?: string } = {};
  try {
    holder = JSON.parse(text) as typeof holder;
  } catch {
    // Half-written by a writer that died between create and write: judged by age alone.
  }
  const dead = holder.host === os.hostname() && typeof holder.pid === 'number' && !isAlive(holder.pid);
  if (!dead && Date.now() - info.mtimeMs < LOCK_STALE_MS) return;
  // Rename first, so of two writers breaking the same lock only one succeeds; give it back when it was not the stale one.
  const aside = `${lock}.${randomBytes(6).toString('hex')}.broken`;
  if (!(await rename(lock, aside).then(() => true, () => false))) return;
  if ((await readFile(aside, 'utf8').catch(() => undefined)) !== text) await rename(aside, lock).catch(() => undefined);
  else await unlink(aside).catch(() => undefined);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  // EISDIR/ENOTDIR: the key names a folder, or passes through a file; either way no such object.
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
