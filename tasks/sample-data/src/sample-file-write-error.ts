/** Writing a landing file failed; the temp file is removed and any older file of that name is untouched. */
export class SampleFileWriteError extends Error {
  readonly file: string;
  constructor(file: string, cause: unknown) {
    super(`Could not write ${file}: ${messageOf(cause)}`, { cause });
    this.name = 'SampleFileWriteError';
    this.file = file;
  }
}

// Duck-typed rather than `instanceof Error`: errors from another realm (a vm context, jest) fail that check.
function messageOf(cause: unknown): string {
  const message = typeof cause === 'object' && cause !== null ? (cause as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : String(cause);
}
