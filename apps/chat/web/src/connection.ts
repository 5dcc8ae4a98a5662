/**
 * The chat.v1 connection: one WebSocket at a time, reconnected with backoff after any drop,
 * resumed with `hello` (the last seq held per room), requests matched to replies by id, and the
 * messages written while offline sent, in order, once the connection is back.
 */
import type { ChatMessage, ChatState, Pending, RoomSummary } from './state.js';

type Frame = Record<string, unknown> & { type: string; id?: number };

interface Waiter {
  resolve(frame: Frame): void;
  reject(error: ChatError): void;
}

export class ChatError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** 0.5 s, doubling, at most 10 s, with jitter: a restarted server sees clients return spread out. */
function backoff(attempt: number): number {
  const base = Math.min(10_000, 500 * 2 ** attempt);
  return base / 2 + (Math.random() * base) / 2;
}

/** How long an opening handshake may take before it is given up and tried again. */
const OPEN_TIMEOUT_MS = 10_000;

export class Connection {
  readonly #state: ChatState;
  readonly #onEvent: (frame: Frame) => void;
  #ws: WebSocket | null = null;
  #nextId = 1;
  #waiters = new Map<number, Waiter>();
  #attempt = 0;
  #ready = false;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(state: ChatState, onEvent: (frame: Frame) => void) {
    this.#state = state;
    this.#onEvent = onEvent;
  }

  start(): void {
    this.#stopped = false;
    this.#open();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#ws?.close(1000);
  }

  /** Sends a request; resolves with its reply, rejects with its error. */
  request(type: string, fields: Record<string, unknown> = {}): Promise<Frame> {
    const ws = this.#ws;
    if (ws === null || ws.readyState !== WebSocket.OPEN || !this.#ready)
      return Promise.reject(new ChatError('offline', 'not connected'));
    return this.#send(ws, type, fields);
  }

  /** Queues a message and sends it now if connected; otherwise at the next connection. */
  sendMessage(pending: Pending): void {
    if (this.#ready) this.#deliver(pending);
  }

  #send(ws: WebSocket, type: string, fields: Record<string, unknown>): Promise<Frame> {
    const id = this.#nextId++;
    return new Promise<Frame>((resolve, reject) => {
      this.#waiters.set(id, { resolve, reject });
      ws.send(JSON.stringify({ type, id, ...fields }));
    });
  }

  #deliver(pending: Pending): void {
    const { room, clientMsgId, text } = pending;
    this.request('send', { room, clientMsgId, text }).then(
      (ack) => this.#acked(pending, ack),
      (error: ChatError) => {
        // Lost connection or restart: it stays pending and is sent again on reconnect.
        if (['offline', 'shutting_down', 'closed', 'rate_limited'].includes(error.code)) {
          if (error.code === 'rate_limited') setTimeout(() => this.sendMessage(pending), 1000);
          return;
        }
        pending.failed = true;
        this.#state.changed();
      },
    );
  }

  #acked(pending: Pending, ack: Frame): void {
    // The ack carries what the stored message is; the live copy (same seq) is then a duplicate.
    const user = this.#state.user!;
    const message: ChatMessage = {
      room: pending.room,
      seq: ack.seq as number,
      from: user,
      text: pending.text,
      ts: ack.ts as number,
      clientMsgId: pending.clientMsgId,
    };
    this.#onEvent({ type: 'messages', room: pending.room, messages: [message], reset: false });
  }

  #open(): void {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/ws`, 'chat.v1');
    this.#ws = ws;
    let opened = false;
    // A connection the server side never answers (a node that died while taking it) is given
    // up, and the next attempt may reach another node.
    const giveUp = setTimeout(() => opened || ws.close(), OPEN_TIMEOUT_MS);
    ws.onopen = () => {
      opened = true;
      clearTimeout(giveUp);
      void this.#hello(ws);
    };
    ws.onmessage = (event) => this.#receive(String(event.data));
    ws.onclose = (event) => {
      clearTimeout(giveUp);
      this.#closed(ws, event.code);
      // Refused before opening: maybe the session ended (401). Then sign in again.
      if (!opened && !this.#stopped)
        void fetch('/api/me', { credentials: 'same-origin' }).then(
          (r) => {
            if (r.status === 401) location.reload();
          },
          () => {},
        );
    };
  }

  async #hello(ws: WebSocket): Promise<void> {
    try {
      const welcome = await this.#send(ws, 'hello', { resume: this.#state.resumePoints() });
      this.#attempt = 0;
      this.#ready = true;
      this.#onEvent(welcome);
      this.#state.status = 'connected';
      this.#state.changed();
      for (const pending of [...this.#state.pending]) if (!pending.failed) this.#deliver(pending);
    } catch {
      ws.close();
    }
  }

  #receive(text: string): void {
    const frame = JSON.parse(text) as Frame;
    if (frame.id !== undefined) {
      const waiter = this.#waiters.get(frame.id);
      this.#waiters.delete(frame.id);
      if (frame.type === 'error')
        waiter?.reject(new ChatError(String(frame.code), String(frame.message)));
      else waiter?.resolve(frame);
      return;
    }
    this.#onEvent(frame);
  }

  #closed(ws: WebSocket, code: number): void {
    if (this.#ws !== ws) return;
    this.#ws = null;
    this.#ready = false;
    for (const waiter of this.#waiters.values())
      waiter.reject(new ChatError('closed', 'connection closed'));
    this.#waiters.clear();
    if (this.#stopped) return;
    if (code === 1008 || code === 4401) {
      // Refused for good (policy, signed out): reload to the sign-in page.
      location.reload();
      return;
    }
    this.#state.status = 'reconnecting';
    this.#state.changed();
    this.#timer = setTimeout(() => this.#open(), backoff(this.#attempt++));
  }
}

export type { Frame, RoomSummary };
