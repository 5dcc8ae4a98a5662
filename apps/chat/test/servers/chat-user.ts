/**
 * A chat user for the multi-node tests, written from PROTOCOL.md like the web UI's connection:
 * it keeps, per room, the highest seq up to which it holds every message, resumes from there
 * when it reconnects (to any node), and sends again, with the same clientMsgId, every message
 * not acknowledged yet. Everything it receives is checked as it arrives: a seq it already had
 * is a duplicate, a seq past the next one is a gap; both are recorded as problems (the tests
 * expect none). With `keepSending`, it keeps a window of messages in flight, one more per ack.
 */
import { connect, type WebSocket } from 'wsx';
import { type Frame, post, within } from '../helpers.js';
import type { ChatNode } from './chat-node.js';

interface Unacked {
  readonly room: number;
  readonly text: string;
}

export class ChatUser {
  readonly name: string;
  readonly cookie: string;
  readonly id: number;
  /** room -> every seq received, in arrival order (live events and catch-up pages). */
  readonly received = new Map<number, number[]>();
  /** room -> the highest seq up to which every message is held. */
  readonly held = new Map<number, number>();
  /** Duplicates and gaps seen (none expected). */
  readonly problems: string[] = [];
  /** clientMsgId -> where it was stored, for every acknowledged message. */
  readonly acked = new Map<string, { readonly room: number; readonly seq: number }>();
  /** Error replies to sends (by code). */
  readonly sendErrors: string[] = [];
  node: ChatNode | null = null;
  readonly #unacked = new Map<string, Unacked>();
  readonly #waiters = new Set<() => void>();
  readonly #replies = new Map<number, (frame: Frame) => void>();
  #ws: WebSocket | null = null;
  #nextId = 1;
  #sent = 0;
  #sending: { rooms: number[]; window: number } | null = null;
  #connections = 0;

  private constructor(name: string, cookie: string, id: number) {
    this.name = name;
    this.cookie = cookie;
    this.id = id;
  }

  /** Registers `name` on `node` (accounts are shared by every node). */
  static async register(node: ChatNode, name: string): Promise<ChatUser> {
    const response = await post(node.chat.base, '/api/register', {
      name,
      password: 'correct horse',
    });
    if (response.status !== 201) throw new Error(`register ${name}: ${response.status}`);
    const { user } = (await response.json()) as { user: { id: number } };
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
    return new ChatUser(name, cookie, user.id);
  }

  get connected(): boolean {
    return this.#ws !== null;
  }

  get unacked(): number {
    return this.#unacked.size;
  }

  /** Connects to `node`, says hello resuming from what it holds, then re-sends what is unacked. */
  async connect(node: ChatNode): Promise<Frame> {
    const ws = await connect(node.chat.ws, {
      protocols: ['chat.v1'],
      headers: { Cookie: this.cookie },
      origin: node.chat.base,
      perMessageDeflate: false,
    });
    this.node = node;
    this.#ws = ws;
    this.#connections++;
    ws.on('message', (data) => this.#receive(JSON.parse(String(data)) as Frame));
    ws.on('close', () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      // Requests in flight will get no reply.
      for (const reply of this.#replies.values()) reply({ type: 'closed' });
      this.#replies.clear();
      this.#wake();
    });
    const welcome = await this.request('hello', { resume: Object.fromEntries(this.held) });
    if (welcome.type !== 'welcome') throw new Error(`hello: ${JSON.stringify(welcome)}`);
    for (const [clientMsgId, { room, text }] of this.#unacked) this.#fire(room, text, clientMsgId);
    this.#topUp();
    return welcome;
  }

  /** Sends a request; resolves with its reply. */
  request(type: string, fields: Record<string, unknown> = {}, ms = 15_000): Promise<Frame> {
    const id = this.#nextId++;
    const reply = new Promise<Frame>((resolve) => this.#replies.set(id, resolve));
    this.#ws?.send(JSON.stringify({ type, id, ...fields }));
    return within(reply, ms, `${this.name}'s reply to ${type}`);
  }

  /** Whether the node answers a ping (false once the connection is closed instead). */
  async alive(): Promise<boolean> {
    if (this.#ws === null) return false;
    return (await this.request('ping')).type === 'pong';
  }

  /** Sends one message (kept until acknowledged, re-sent after a reconnection). */
  send(room: number, text: string): string {
    const clientMsgId = `${this.name}-${++this.#sent}`;
    this.#unacked.set(clientMsgId, { room, text });
    if (this.#ws !== null) this.#fire(room, text, clientMsgId);
    return clientMsgId;
  }

  /** Keeps `window` messages in flight, to `rooms` in turn, until stopSending(). */
  keepSending(rooms: number[], window: number): void {
    this.#sending = { rooms, window };
    this.#topUp();
  }

  stopSending(): void {
    this.#sending = null;
  }

  /** Resolves once `condition` holds (checked on every frame and close), within `ms`. */
  async until(condition: () => boolean, what: string, ms = 30_000): Promise<void> {
    if (condition()) return;
    let waiter = () => {};
    await within(
      new Promise<void>((resolve) => {
        waiter = () => condition() && resolve();
        this.#waiters.add(waiter);
      }),
      ms,
      `${this.name}: ${what}`,
    ).finally(() => this.#waiters.delete(waiter));
  }

  /** Closes the connection (the user stays, with what it holds). */
  close(): void {
    this.#ws?.close(1000);
    this.#ws = null;
  }

  #fire(room: number, text: string, clientMsgId: string): void {
    this.#ws?.send(JSON.stringify({ type: 'send', id: this.#nextId++, room, text, clientMsgId }));
  }

  #topUp(): void {
    const sending = this.#sending;
    if (sending === null || this.#ws === null) return;
    while (this.#unacked.size < sending.window) {
      this.send(sending.rooms[this.#sent % sending.rooms.length]!, `${this.name} ${this.#sent}`);
    }
  }

  #receive(frame: Frame): void {
    if (typeof frame.id === 'number' && frame.type !== 'ack' && frame.type !== 'error') {
      this.#replies.get(frame.id)?.(frame);
      this.#replies.delete(frame.id);
    } else if (frame.type === 'ack') this.#acked(frame);
    else if (frame.type === 'error') this.#error(frame);
    else if (frame.type === 'message') this.#record(frame.room as number, [frame.seq as number]);
    else if (frame.type === 'messages') this.#page(frame);
    this.#wake();
  }

  #acked(frame: Frame): void {
    const clientMsgId = frame.clientMsgId as string;
    this.acked.set(clientMsgId, { room: frame.room as number, seq: frame.seq as number });
    this.#unacked.delete(clientMsgId);
    this.#topUp();
  }

  #error(frame: Frame): void {
    const reply = typeof frame.id === 'number' ? this.#replies.get(frame.id) : undefined;
    if (reply !== undefined) {
      reply(frame);
      this.#replies.delete(frame.id as number);
    } else this.sendErrors.push(String(frame.code));
  }

  #page(frame: Frame): void {
    const room = frame.room as number;
    const seqs = (frame.messages as { seq: number }[]).map((m) => m.seq);
    if (frame.reset === true) {
      // A room joined: history starts here.
      this.received.set(room, [...seqs]);
      this.held.set(room, seqs.at(-1) ?? 0);
    } else this.#record(room, seqs);
  }

  #record(room: number, seqs: number[]): void {
    let list = this.received.get(room);
    if (list === undefined) {
      list = [];
      this.received.set(room, list);
    }
    for (const seq of seqs) {
      const held = this.held.get(room) ?? 0;
      // Where it happened, for whoever has to find out why: the node, and the connection's
      // number (1 = the first; each reconnection counts one more).
      const where = `on ${this.node?.name} (connection ${this.#connections})`;
      if (seq <= held) this.problems.push(`room ${room}: seq ${seq} again (held ${held}) ${where}`);
      else if (seq > held + 1)
        this.problems.push(`room ${room}: seq ${seq} after ${held} ${where}`);
      if (seq > held) this.held.set(room, seq);
      list.push(seq);
    }
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
  }
}
