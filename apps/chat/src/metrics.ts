/**
 * Prometheus metrics (prom-client) for /metrics. Hot-path figures are plain counters kept by
 * the code that counts them and read at scrape time, so sending a message costs no metric call.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface MetricSources {
  connections(): number;
  /** Rooms with at least one connection on this node. */
  activeRooms(): number;
  messagesReceived(): number;
  messagesStored(): number;
  duplicates(): number;
  deliveries(): number;
  /** Messages read from the store because they had not come through the broker. */
  fetched(): number;
}

export class ChatMetrics {
  readonly registry = new Registry();
  readonly commitSeconds: Histogram;
  readonly commitSize: Histogram;
  readonly droppedMessages: Counter;
  readonly slowConsumers: Counter;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    registerReadings(registers, sources);
    this.commitSeconds = new Histogram({
      name: 'chat_store_commit_seconds',
      help: 'Duration of one grouped commit of messages',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
      registers,
    });
    this.commitSize = new Histogram({
      name: 'chat_store_commit_messages',
      help: 'Messages per grouped commit',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    });
    this.droppedMessages = new Counter({
      name: 'chat_dropped_messages_total',
      help: 'Messages not queued to a slow consumer (counted when it closes)',
      registers,
    });
    this.slowConsumers = new Counter({
      name: 'chat_slow_consumers_total',
      help: 'Connections that had messages dropped for not reading',
      registers,
    });
  }

  observeCommit(seconds: number, count: number): void {
    this.commitSeconds.observe(seconds);
    this.commitSize.observe(count);
  }

  async scrape(): Promise<{ type: string; text: string }> {
    return { type: this.registry.contentType, text: await this.registry.metrics() };
  }
}

/** The figures read from the code that keeps them, at scrape time. */
function registerReadings(registers: Registry[], s: MetricSources): void {
  gauge(registers, 'chat_connections', 'Open WebSocket connections', s.connections);
  gauge(registers, 'chat_rooms_active', 'Rooms with a connection on this node', s.activeRooms);
  total(
    registers,
    'chat_messages_received_total',
    'Messages received for sending',
    s.messagesReceived,
  );
  total(
    registers,
    'chat_messages_stored_total',
    'Messages stored and acknowledged',
    s.messagesStored,
  );
  total(
    registers,
    'chat_messages_duplicate_total',
    'Re-sent messages answered from the store',
    s.duplicates,
  );
  total(
    registers,
    'chat_messages_delivered_total',
    'Frames queued to connections by fan-out',
    s.deliveries,
  );
  total(
    registers,
    'chat_messages_fetched_total',
    'Messages read from the store because they had not come through the broker (gaps filled)',
    s.fetched,
  );
}

function gauge(registers: Registry[], name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}

function total(registers: Registry[], name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
