/**
 * Two transports joined in memory: what one writes, the other reads, in order, a turn of the
 * event loop later (as I/O would arrive). For tests of everything above the transport seam (the
 * driver, the server's decisions, the conformance suite) without sockets, and for embedding a
 * WebSocket in a process with no network.
 *
 * Flow control is modelled the simple way: bytes written wait in the peer's inbox until the peer
 * reads them; a paused peer reads nothing, so the writer's `writableLength` grows and `write()`
 * returns false past the high-water mark; `drain` follows once the peer has read everything.
 */

import { EventEmitter } from 'node:events';
import type { Transport } from './transport.js';

/** Node's default for sockets. */
const HIGH_WATER_MARK = 16 * 1024;

export class MemoryTransport extends EventEmitter implements Transport {
  readonly remoteAddress: string;
  readonly writableHighWaterMark = HIGH_WATER_MARK;
  /**
   * Whether this end stays open for writing once the peer's has ended (a half-open connection).
   * False, as wsx sets its sockets: the peer's end ends ours.
   */
  allowHalfOpen = false;
  #peer!: MemoryTransport;
  /** Chunks written by the peer, not read yet. */
  readonly #inbox: Buffer[] = [];
  #inboxBytes = 0;
  #paused = false;
  #corked = 0;
  #corkedChunks: Buffer[] = [];
  #needDrain = false;
  #deliveryScheduled = false;
  /** We called end(): our side is done once our outbox is read. */
  #ending = false;
  #finished = false;
  /** The peer's end arrived and was read. */
  #readableEnded = false;
  /** The peer ended: deliver 'end' once the inbox is empty. */
  #peerEnded = false;
  #destroyed = false;
  #closed = false;

  constructor(remoteAddress: string) {
    super();
    this.remoteAddress = remoteAddress;
  }

  /** Two connected transports: `[client, server]`. */
  static pair(): [MemoryTransport, MemoryTransport] {
    const client = new MemoryTransport('memory:server');
    const server = new MemoryTransport('memory:client');
    client.#peer = server;
    server.#peer = client;
    return [client, server];
  }

  get writableLength(): number {
    return this.#peer.#inboxBytes + this.#corkedBytes();
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  get readableEnded(): boolean {
    return this.#readableEnded;
  }

  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean;
  write(chunk: string, encoding: 'latin1', callback?: (error?: Error | null) => void): boolean;
  write(
    chunk: Uint8Array | string,
    encoding?: 'latin1' | ((error?: Error | null) => void),
    cb?: (error?: Error | null) => void,
  ): boolean {
    const callback = typeof encoding === 'function' ? encoding : cb;
    if (this.#ending || this.#destroyed) {
      const error = new Error('write after end');
      if (callback !== undefined) process.nextTick(callback, error);
      return false;
    }
    // A copy: the writer may reuse its buffer.
    const copy = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : Buffer.from(chunk);
    if (this.#corked > 0) this.#corkedChunks.push(copy);
    else this.#peer.#receive([copy]);
    if (callback !== undefined) setImmediate(callback, null);
    const ok = this.writableLength < this.writableHighWaterMark;
    if (!ok) this.#needDrain = true;
    return ok;
  }

  cork(): void {
    this.#corked++;
  }

  uncork(): void {
    if (this.#corked === 0 || --this.#corked > 0) return;
    const chunks = this.#corkedChunks;
    this.#corkedChunks = [];
    if (chunks.length > 0) this.#peer.#receive([Buffer.concat(chunks)]);
  }

  end(): void;
  end(chunk: Uint8Array): void;
  end(chunk?: Uint8Array): void {
    if (this.#ending || this.#destroyed) return;
    if (chunk !== undefined) this.write(chunk);
    this.#corked = 1;
    this.uncork();
    this.#ending = true;
    this.#peer.#endOfStream();
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.#inbox.length = 0;
    this.#inboxBytes = 0;
    // The peer sees the connection go away as an end of stream, then closes.
    if (!this.#ending) this.#peer.#endOfStream();
    this.#scheduleClose();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#scheduleDelivery();
  }

  isPaused(): boolean {
    return this.#paused;
  }

  #corkedBytes(): number {
    let n = 0;
    for (const c of this.#corkedChunks) n += c.length;
    return n;
  }

  #receive(chunks: Buffer[]): void {
    if (this.#destroyed) return;
    for (const chunk of chunks) {
      this.#inbox.push(chunk);
      this.#inboxBytes += chunk.length;
    }
    this.#scheduleDelivery();
  }

  #endOfStream(): void {
    this.#peerEnded = true;
    this.#scheduleDelivery();
  }

  #scheduleDelivery(): void {
    if (this.#deliveryScheduled || this.#destroyed) return;
    this.#deliveryScheduled = true;
    setImmediate(() => {
      this.#deliveryScheduled = false;
      this.#deliver();
    });
  }

  /** Emits what waits in the inbox, then the peer's end, while not paused. */
  #deliver(): void {
    while (!this.#paused && !this.#destroyed && this.#inbox.length > 0) {
      const chunk = this.#inbox.shift()!;
      this.#inboxBytes -= chunk.length;
      this.emit('data', chunk);
    }
    this.#peer.#readByPeer();
    if (this.#paused || this.#destroyed || this.#inbox.length > 0) return;
    if (this.#peerEnded && !this.#readableEnded) {
      this.#readableEnded = true;
      this.emit('end');
      if (!this.allowHalfOpen) this.end();
      this.#peer.#finish();
      this.#finish();
      this.#scheduleClose();
      this.#peer.#scheduleClose();
    }
  }

  /** The peer read what we wrote: drain if a write had returned false. */
  #readByPeer(): void {
    if (this.#needDrain && this.writableLength === 0) {
      this.#needDrain = false;
      this.emit('drain');
    }
  }

  #finish(): void {
    if (!this.#ending || this.#finished) return;
    this.#finished = true;
    this.emit('finish');
  }

  #scheduleClose(): void {
    if (this.#closed) return;
    const bothDone = this.#destroyed || (this.#readableEnded && this.#ending);
    if (!bothDone) return;
    this.#closed = true;
    setImmediate(() => this.emit('close'));
  }
}
