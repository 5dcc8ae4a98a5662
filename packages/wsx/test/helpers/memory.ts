/**
 * A server-side WebSocket bound to one end of an in-memory transport pair, without a handshake:
 * for tests of the driver itself. The other end is the raw peer: the test writes exact frames
 * to it and reads what the server sent.
 */

import { Connection, type ConnectionOptions } from '../../src/core/connection.js';
import { MemoryTransport } from '../../src/node/memory-transport.js';
import { alloc, allocUnsafe, isUtf8 } from '../../src/node/runtime.js';
import type { ConnectionCompression } from '../../src/websocket/compression.js';
import type { Driver } from '../../src/websocket/driver.js';
import type { MemoryBudget } from '../../src/websocket/memory-budget.js';
import { resolveSettings } from '../../src/websocket/settings.js';
import type { WebSocketOptions } from '../../src/websocket/types.js';
import {
  acceptedWebSocket,
  type ConnectionHandlers,
  driverOf,
  sweepWebSocket,
  type WebSocket,
} from '../../src/websocket/websocket.js';
import { ManualClock } from './clock.js';

export interface BoundOptions extends WebSocketOptions {
  handlers?: ConnectionHandlers<unknown>;
  budget?: MemoryBudget;
  compression?: ConnectionCompression;
  connection?: Partial<ConnectionOptions>;
}

export interface Bound {
  readonly ws: WebSocket<unknown>;
  readonly driver: Driver;
  /** The server's end of the pair. */
  readonly transport: MemoryTransport;
  /** The raw peer's end. */
  readonly peer: MemoryTransport;
  readonly clock: ManualClock;
  /** Everything the server wrote, as received by the peer so far. */
  received(): Buffer;
}

export function boundServer(options: BoundOptions = {}): Bound {
  const { handlers, budget, compression, connection, ...limits } = options;
  const clock = (limits.clock as ManualClock | undefined) ?? new ManualClock();
  const [peer, transport] = MemoryTransport.pair();
  const settings = resolveSettings(
    { ...limits, clock },
    {
      handlers: handlers ?? null,
      budget: budget ?? null,
      visit: sweepWebSocket as (ws: never, now: number) => void,
    },
  );
  const ws = acceptedWebSocket(settings as never, undefined);
  const driver = driverOf(ws);
  const conn = new Connection({
    role: 'server',
    isUtf8,
    alloc,
    allocUnsafe,
    compression: compression !== undefined,
    ...(limits.maxMessageSize === undefined ? {} : { maxMessageSize: limits.maxMessageSize }),
    ...connection,
  });
  driver.bind(transport, conn, Buffer.alloc(0), compression ?? null, '');
  driver.startReading();
  const chunks: Buffer[] = [];
  peer.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { ws, driver, transport, peer, clock, received: () => Buffer.concat(chunks) };
}
