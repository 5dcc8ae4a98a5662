/**
 * Gathers what a process publishes during one tick into one envelope per topic, sent when the
 * tick ends (process.nextTick: before any I/O, so it adds no wait). A burst of publishes (a
 * read that carried many messages, a loop) costs one Redis command per topic instead of one
 * per message; a lone publish goes out alone, as soon as the current code returns.
 *
 * Order is kept within a topic. Across topics, envelopes leave in the order each topic was
 * first published in the tick (Redis Cluster and sharded pub/sub never ordered across
 * channels anyway).
 */

import { EnvelopeWriter, topicBytes } from './envelope.js';

/** Envelopes are sent early once this big, so one burst cannot build a huge one. */
const MAX_ENVELOPE_BYTES = 256 * 1024;

export type SendEnvelope = (topic: string, envelope: Buffer, messages: number) => void;

export class PublishBatch {
  readonly #origin: Uint8Array;
  readonly #send: SendEnvelope;
  readonly #writers = new Map<string, EnvelopeWriter>();
  #scheduled = false;

  constructor(origin: Uint8Array, send: SendEnvelope) {
    this.#origin = origin;
    this.#send = send;
  }

  /** Adds a message (its payload is copied now). Throws RangeError for an oversized topic. */
  add(topic: string, binary: boolean, data: Uint8Array): void {
    let writer = this.#writers.get(topic);
    if (writer === undefined) {
      writer = new EnvelopeWriter(topicBytes(topic), this.#origin, data.length);
      this.#writers.set(topic, writer);
    }
    writer.add(binary, data);
    if (writer.length >= MAX_ENVELOPE_BYTES) {
      this.#writers.delete(topic);
      this.#send(topic, writer.finish(), writer.count);
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    for (const [topic, writer] of this.#writers) this.#send(topic, writer.finish(), writer.count);
    this.#writers.clear();
  };
}
