/**
 * What a connection needs from its server's topics (`ws.subscribe`, `ws.unsubscribe`,
 * `ws.publish`). The server's `Topics` registry implements it; every publish, the server's and a
 * socket's, goes through its one `publish`.
 */

import type { PreparedMessage } from '../core/frame-writer.js';
import type { SendData } from './send-data.js';

/** Options of `publish()`. */
export interface PublishOptions<Peer> {
  /** Send as binary (default: strings as text, everything else as binary). */
  binary?: boolean;
  /** A subscriber that does not get the message (typically the sender). */
  except?: Peer | null;
}

export interface TopicHub<Peer> {
  /** Adds `peer` to `topic`; false when it was already subscribed. */
  subscribe(peer: Peer, topic: string): boolean;
  /** Removes `peer` from `topic`; false when it was not subscribed. */
  unsubscribe(peer: Peer, topic: string): boolean;
  /** Queues `data` on every subscriber of `topic` (but `except`); how many it was queued for. */
  publish(topic: string, data: SendData | PreparedMessage, options?: PublishOptions<Peer>): number;
}
