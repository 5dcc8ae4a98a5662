/**
 * The receiving end of the Redis broker's wsx-redis adapter. The adapter hands what other
 * nodes publish to a wsx `Topics` through `deliverLocal`; the broker does not want those
 * events written to sockets as they are (a room's messages go through the room's stream on
 * this node first: order, repeats, gaps), so this `Topics`, which has no subscribers of its
 * own, passes each one to the broker instead.
 */
import { type PubSubAdapter, type TopicMessage, Topics } from 'wsx';

export class RelayTopics extends Topics {
  readonly #receive: (topic: string, text: string) => void;

  constructor(adapter: PubSubAdapter, receive: (topic: string, text: string) => void) {
    super({ adapter });
    this.#receive = receive;
  }

  /** A message another node published: to the broker, never to a socket. */
  override deliverLocal(topic: string, message: TopicMessage): number {
    const { data } = message;
    this.#receive(topic, Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString());
    return 0;
  }
}
