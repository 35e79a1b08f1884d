import { Readable } from 'node:stream';
import type * as arrow from 'apache-arrow';
import type { PgBinaryDecoder } from './pg-binary-decoder';

/** The parts of pg's Connection a COPY OUT takes over: its socket and its query method. */
interface PgConnection {
  readonly stream: Readable & { read(): Buffer | null };
  query(text: string): void;
}

/** Backend message codes met during COPY OUT (PostgreSQL protocol, "Message Formats"). */
const ERROR_RESPONSE = 0x45;
const COPY_OUT_RESPONSE = 0x48;
const COPY_DATA = 0x64;
const NOTIFICATION = 0x41;
const NOTICE = 0x4e;
const PARAMETER_STATUS = 0x53;

/**
 * A COPY ... TO STDOUT run on a pg client (`client.query(new PgCopyOut(sql, decoder))`) whose
 * CopyData payloads go straight from the socket's buffers into the binary decoder, and whose
 * output is the decoder's record batches (an object-mode Readable, at most one batch queued).
 *
 * It works as pg-copy-streams' copy-to does: while the COPY runs it reads the socket itself
 * instead of pg's parser, and hands the socket back at CopyDone or at an ErrorResponse, which pg
 * then parses and reports through handleError. Unlike copy-to it copies no row: copy-to slices
 * every CopyData message and concatenates them per socket read, which cost about as much as
 * decoding the rows.
 */
export class PgCopyOut extends Readable {
  private connection?: PgConnection;
  private dataHandler?: (chunk: Buffer) => void;
  private readonly onReadable = () => this.forward();
  private drained = false;
  private forwarding = false;
  /** Code and unread body bytes of the message being read; -1 between messages. */
  private code = -1;
  private remaining = 0;
  /** The first bytes of a message header cut by the end of a socket read. */
  private carry?: Buffer;
  private finished = false;

  constructor(
    private readonly text: string,
    private readonly decoder: PgBinaryDecoder,
  ) {
    super({ objectMode: true, highWaterMark: 1 });
  }

  /** Called by pg's Client when the query's turn comes. */
  submit(connection: PgConnection): void {
    this.connection = connection;
    const socket = connection.stream;
    const listeners = socket.listeners('data') as ((chunk: Buffer) => void)[];
    if (listeners.length !== 1) throw new Error(`expected pg's one data listener on the socket, found ${listeners.length}`);
    this.dataHandler = listeners[0];
    socket.removeListener('data', this.dataHandler!);
    socket.pause();
    socket.on('readable', this.onReadable);
    connection.query(this.text);
  }

  override _read(): void {
    this.drained = true;
    this.forward();
  }

  /** pg: an ErrorResponse, or the connection ended, while the COPY ran. */
  handleError(err: Error): void {
    this.destroy(err);
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {}

  private forward(): void {
    if (this.forwarding || !this.drained || !this.connection || this.finished) return;
    this.forwarding = true;
    try {
      let chunk: Buffer | null;
      while (this.drained && !this.finished && (chunk = this.connection.stream.read()) !== null) this.parse(chunk);
    } catch (e) {
      this.destroy(e as Error);
    } finally {
      this.forwarding = false;
    }
  }

  private parse(chunk: Buffer): void {
    if (this.carry) {
      chunk = Buffer.concat([this.carry, chunk]);
      this.carry = undefined;
    }
    const end = chunk.length;
    let pos = 0;
    while (pos < end) {
      if (this.code < 0) {
        if (chunk[pos] === ERROR_RESPONSE) return this.handBack(chunk.subarray(pos));
        if (end - pos < 5) {
          this.carry = Buffer.from(chunk.subarray(pos));
          return;
        }
        this.code = chunk[pos]!;
        this.remaining = chunk.readUInt32BE(pos + 1) - 4;
        pos += 5;
      }
      const take = Math.min(this.remaining, end - pos);
      if (this.code === COPY_DATA && take > 0) this.emitAll(this.decoder.push(chunk, pos, pos + take));
      pos += take;
      this.remaining -= take;
      if (this.remaining > 0) return;
      const code = this.code;
      this.code = -1;
      if (code === COPY_OUT_RESPONSE || code === COPY_DATA || code === NOTICE || code === NOTIFICATION || code === PARAMETER_STATUS) continue;
      // CopyDone, or any other message, ends copy-out mode; pg parses what follows.
      this.emitAll(this.decoder.end());
      this.handBack(chunk.subarray(pos));
      this.push(null);
      return;
    }
  }

  private emitAll(batches: readonly arrow.RecordBatch[]): void {
    for (const b of batches) this.drained = this.push(b);
  }

  /** Gives the socket back to pg's parser, with the bytes it has not seen yet. */
  private handBack(unread: Buffer): void {
    this.finished = true;
    const socket = this.connection!.stream;
    socket.removeListener('readable', this.onReadable);
    socket.addListener('data', this.dataHandler!);
    if (unread.length > 0) this.dataHandler!(unread);
    // pg's handler may pause the socket; resume once it has returned, as copy-to does.
    process.nextTick(() => socket.resume());
  }
}
