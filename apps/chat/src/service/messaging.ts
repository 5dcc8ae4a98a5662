/**
 * Sending and reading messages: the hot path. A message is stored (the store numbers it and
 * commits), then acknowledged to its sender, then published to the room — so nobody sees, and
 * no sender is told about, a message that could still be lost.
 */
import { ChatError, ErrorCode } from '../protocol/errors.js';
import * as frames from '../protocol/frames.js';
import { checkMessageText } from '../protocol/names.js';
import type { HistoryPage, RequestId } from '../protocol/requests.js';
import type { Appended } from '../store/types.js';
import type { ChatService } from './chat-service.js';
import type { Link } from './link.js';
import type { Now } from './token-bucket.js';

export class Messaging {
  readonly #chat: ChatService;
  readonly #now: Now;
  /** Messages stored (new), and re-sent copies answered from the store, for the metrics. */
  stored = 0;
  duplicates = 0;
  received = 0;
  #inFlight = 0;
  #settled: (() => void)[] = [];

  readonly #onPublishError: (error: unknown) => void;

  constructor(chat: ChatService, now: Now, onPublishError: (error: unknown) => void = () => {}) {
    this.#chat = chat;
    this.#now = now;
    this.#onPublishError = onPublishError;
  }

  /**
   * Stores, acknowledges (to this connection) and publishes one message. Checks throw at once;
   * the promise settles once the message is committed and acknowledged. Written with `then`
   * rather than `async`/`await`: one promise per message fewer on the hot path.
   */
  send(
    link: Link,
    id: RequestId,
    room: number,
    clientMsgId: string,
    text: string,
  ): Promise<undefined> {
    const chat = this.#chat;
    if (chat.closing)
      throw new ChatError(
        ErrorCode.SHUTTING_DOWN,
        'the server is restarting: send again after reconnecting',
      );
    chat.requireMember(link, room);
    if (clientMsgId === '')
      throw new ChatError(ErrorCode.BAD_REQUEST, "'clientMsgId' must not be empty");
    const checked = checkMessageText(text, chat.limits.maxTextLength);
    if (!checked.ok) throw new ChatError(ErrorCode.INVALID_TEXT, checked.reason);
    const message = { room, from: link.user, text: checked.name, ts: this.#now(), clientMsgId };
    this.received++;
    this.#inFlight++;
    return chat.store.appendMessage(message).then(
      (appended) => {
        this.#landed();
        this.#deliver(link, id, appended);
        return undefined;
      },
      (error: unknown) => {
        this.#landed();
        throw error;
      },
    );
  }

  /** Resolves once every message being stored has been acknowledged and published. */
  settled(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#settled.push(resolve));
  }

  #landed(): void {
    if (--this.#inFlight === 0) for (const resolve of this.#settled.splice(0)) resolve();
  }

  /**
   * Committed: acknowledge, then publish. A duplicate is published again: its first copy's
   * commit may have been cut off from its reply (a node that died, a database that restarted),
   * and so never published; rooms' streams drop what they delivered already (by seq).
   */
  #deliver(link: Link, id: RequestId, { message, duplicate }: Appended): void {
    link.send(frames.ackFrame(id, message, duplicate));
    if (duplicate) this.duplicates++;
    else this.stored++;
    const event = { room: message.room, seq: message.seq, frame: frames.messageFrame(message) };
    const published = this.#chat.broker.publishRoom(event);
    // Stored and acknowledged but not published (a networked broker failed): members get it
    // when they resume or notice the gap in seqs.
    if (published instanceof Promise) published.catch(this.#onPublishError);
  }

  /**
   * A page of history: the `limit` messages before `page.before` (null: the latest), or, with
   * `page.after`, the ones after it (to fill a gap). `hasMore`: older (or newer) ones exist.
   */
  async history(link: Link, id: RequestId, room: number, page: HistoryPage): Promise<string> {
    this.#chat.requireMember(link, room);
    const { store } = this.#chat;
    const { before, after, limit } = page;
    const messages =
      after === null
        ? await store.messagesBefore(room, before, limit)
        : await store.messagesAfter(room, after, limit);
    const hasMore = messages.length === limit && (after !== null || messages[0]!.seq > 1);
    return frames.reply(id, 'history', { room, messages, hasMore });
  }

  async read(link: Link, id: RequestId, room: number, seq: number): Promise<string> {
    this.#chat.requireMember(link, room);
    const stored = await this.#chat.store.markRead(room, link.user.id, seq);
    await this.#chat.broker.publishUser({
      user: link.user.id,
      frame: frames.readFrame(room, stored),
    });
    return frames.reply(id, 'ok', { seq: stored });
  }

  async typing(link: Link, id: RequestId, room: number): Promise<string> {
    this.#chat.requireMember(link, room);
    await this.#chat.broker.publishRoom({ room, frame: frames.typingFrame(room, link.user) });
    return frames.reply(id, 'ok');
  }
}
