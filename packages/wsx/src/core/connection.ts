/**
 * The sans-I/O WebSocket connection, RFC 6455 §5-§7, for either role.
 *
 * It never touches a socket. The I/O layer feeds it what the transport read
 * ({@link Connection.receiveData}, {@link Connection.receiveEof}), collects what happened
 * ({@link Connection.eventsReceived}) and writes what it must send ({@link Connection.dataToSend}).
 * The connection answers pings and close frames itself; the events still report them.
 *
 * Every protocol violation goes through {@link Connection.fail}: the right close frame is queued,
 * input stops being read, and an `error` event reports a {@link ProtocolError}. Nothing the peer
 * sends makes `receiveData` throw.
 */

import { type CloseFrame, encodeClosePayload, parseClosePayload } from './close.js';
import { ConnectionConfig, type ConnectionOptions } from './connection-config.js';
import { CloseCode, MAX_CONTROL_PAYLOAD, Opcode } from './constants.js';
import { ErrorCode as E, type ErrorCode, InvalidStateError, ProtocolError } from './errors.js';
import type { ConnectionEvent } from './events.js';
import { FrameParser } from './frame-parser.js';
import { COMPRESSED, checkFrameHeader, compressedBound, type Role } from './frame-rules.js';
import { firstByte, type PreparedMessage, writeFrame, writeTextFrame } from './frame-writer.js';
import {
  Action,
  canSend,
  Input,
  isAnswerPending,
  isClosing,
  isReading,
  Phase,
  State,
  stateOf,
  transition,
} from './lifecycle.js';
import { MessageBuffer } from './message-buffer.js';
import { UTF8_ACCEPT, UTF8_REJECT, utf8ValidateWith } from './utf8.js';

export { ConnectionConfig, type ConnectionOptions } from './connection-config.js';
export type { Role } from './frame-rules.js';

/**
 * A compressed message to inflate (RFC 7692 §7.2.2). Until {@link Connection.completeWork} or
 * {@link Connection.failWork} answers it, the connection reads nothing further, so messages keep
 * their order however long inflating takes.
 */
export interface InflateWork {
  /** The compressed payload, without the `00 00 ff ff` tail (append it before inflating). */
  readonly data: Uint8Array;
  readonly binary: boolean;
  /** Inflate at most this many bytes (`maxMessageSize`): past it, fail with 1009. */
  readonly limit: number;
}

/** RSV1, the "Per-Message Compressed" bit (RFC 7692 §6), as the 3-bit RSV field. */
const RSV1 = 0b100;

/** Marks `#frame` of a frame with FIN set. */
const FRAME_FIN = 0x80;

/** The end-of-stream marker in {@link Connection.dataToSend}: "half-close TCP now". */
export const SEND_EOF: Uint8Array = new Uint8Array(0);

const NO_EVENTS: readonly ConnectionEvent[] = Object.freeze([]);
const NO_DATA: readonly Uint8Array[] = Object.freeze([]);
const EMPTY = new Uint8Array(0);

/** Input held while a compressed message is being inflated. */
interface Paused {
  work: InflateWork;
  taken: boolean;
  pending: Uint8Array[];
  /** End of stream that arrived meanwhile. */
  eof: boolean;
}

/** A close frame to queue: its payload, and what it says. */
interface OutgoingClose {
  readonly payload: Uint8Array;
  readonly frame: CloseFrame;
}

/**
 * Our close frame, waiting for the events before it to be taken (the FAILING and ANSWERING
 * phases): the failure's, after a violation; the echo of the peer's, after its close frame. What
 * the application sends in answer to those events goes out first.
 */
interface PendingClose {
  readonly close: OutgoingClose;
  /** Whether the batch of events ending with the error event has been taken. */
  taken: boolean;
}

/** The closing handshake, once it has begun. */
interface Closing {
  sent: CloseFrame | null;
  received: CloseFrame | null;
  receivedThenSent: boolean;
  failure: ProtocolError | null;
  eofSent: boolean;
}

/** A fragmented message being sent, and what waits for its end. */
interface Sending {
  readonly opcode: number;
  deferred: PreparedMessage[] | null;
}

/**
 * A connection's state that exists only while something uncommon happens (a control frame split
 * over reads, a fragmented send) or once the closing handshake starts: one pointer on every
 * connection instead of three.
 */
class Rare {
  control: MessageBuffer | null = null;
  sending: Sending | null = null;
  closing: Closing | null = null;
  pendingClose: PendingClose | null = null;
}

/**
 * One WebSocket connection. Rarely used state (a message spread over reads, a fragmented send,
 * the closing handshake, a compressed message being inflated) lives in objects allocated when it
 * begins, so an idle connection is a few fields and a pointer to its shared config.
 */
export class Connection extends FrameParser {
  readonly #config: ConnectionConfig;
  /** Where the connection is in its lifecycle: see `lifecycle.ts`, the one table of it. */
  #phase: Phase = Phase.OPEN;
  #events: ConnectionEvent[] | null = null;
  #out: Uint8Array[] | null = null;
  /** Bytes in `#out`. */
  #outBytes = 0;
  // The frame being received.
  /** Its opcode, | FRAME_FIN when it is the last frame of its message. */
  #frame = 0;
  #frameReceived = 0;
  /** Opcode of the data message being received (| COMPRESSED), 0 when none. */
  #messageOpcode = 0;
  /** The message being reassembled, when it spans frames or reads. */
  #message: MessageBuffer | null = null;
  #paused: Paused | null = null;
  /** What few connections need, and not for long: see {@link Rare}. */
  #rare: Rare | null = null;

  /** `options`, or a config shared by many connections (see {@link ConnectionConfig}). */
  constructor(options: ConnectionOptions | ConnectionConfig) {
    super();
    this.#config = options instanceof ConnectionConfig ? options : new ConnectionConfig(options);
  }

  get role(): Role {
    return this.#config.role;
  }

  get maxMessageSize(): number {
    return this.#config.maxMessageSize;
  }

  get maxFrameSize(): number {
    return this.#config.maxFrameSize;
  }

  /** Whether permessage-deflate is in use: RSV1 is then allowed on a message's first frame. */
  get compression(): boolean {
    return this.#config.compression;
  }

  /** OPEN, CLOSING or CLOSED (RFC 6455 §4.1, §7). */
  get state(): State {
    return stateOf(this.#phase);
  }

  /** The finer lifecycle phase; see `lifecycle.ts`. */
  get phase(): Phase {
    return this.#phase;
  }

  /** Whether a fragmented message is being sent (`fin: false` until its last fragment). */
  get isFragmenting(): boolean {
    return this.#sending !== null;
  }

  /** The close frame we sent, if any. */
  get closeSent(): CloseFrame | null {
    return this.#closing?.sent ?? null;
  }

  /** The close frame the peer sent, if any. */
  get closeReceived(): CloseFrame | null {
    return this.#closing?.received ?? null;
  }

  /** Whether the peer's close frame came first and ours answered it. */
  get closeReceivedThenSent(): boolean {
    return this.#closing?.receivedThenSent ?? false;
  }

  /** Why the connection was failed, if it was. */
  get failure(): ProtocolError | null {
    return this.#closing?.failure ?? null;
  }

  /**
   * The close code to report: the peer's (1005 if its close frame had no code), or 1006 when no
   * close frame arrived (RFC 6455 §7.1.5, §7.4.1).
   */
  get closeCode(): number {
    return this.#closing?.received?.code ?? CloseCode.ABNORMAL_CLOSURE;
  }

  /** The peer's close reason, or '' (RFC 6455 §7.1.6). */
  get closeReason(): string {
    return this.#closing?.received?.reason ?? '';
  }

  /**
   * Whether the I/O layer should expect the peer to close the transport, and arm a timer that
   * closes it if the peer does not: true from the moment the closing handshake starts or the
   * connection fails until the transport is closed.
   */
  closeExpected(): boolean {
    return isClosing(this.#phase);
  }

  // The fields of #rare, read as null while it does not exist; writing null does not create it.
  /** A control frame whose payload arrives in several reads. */
  get #control(): MessageBuffer | null {
    return this.#rare?.control ?? null;
  }
  set #control(control: MessageBuffer | null) {
    if (control !== null || this.#rare !== null) this.#rareState().control = control;
  }
  get #sending(): Sending | null {
    return this.#rare?.sending ?? null;
  }
  set #sending(sending: Sending | null) {
    if (sending !== null || this.#rare !== null) this.#rareState().sending = sending;
  }
  get #closing(): Closing | null {
    return this.#rare?.closing ?? null;
  }
  get #pendingClose(): PendingClose | null {
    return this.#rare?.pendingClose ?? null;
  }
  set #pendingClose(pending: PendingClose | null) {
    if (pending !== null || this.#rare !== null) this.#rareState().pendingClose = pending;
  }
  set #closing(closing: Closing | null) {
    if (closing !== null || this.#rare !== null) this.#rareState().closing = closing;
  }

  #rareState(): Rare {
    this.#rare ??= new Rare();
    return this.#rare;
  }

  #closingState(): Closing {
    this.#closing ??= {
      sent: null,
      received: null,
      receivedThenSent: false,
      failure: null,
      eofSent: false,
    };
    return this.#closing;
  }

  // ---- Input ------------------------------------------------------------------------------

  /**
   * Feeds bytes read from the transport. Takes ownership of `data`: masked payloads are unmasked
   * in place and messages may be views of it. Never throws because of what the peer sent.
   */
  receiveData(data: Uint8Array): void {
    if (!isReading(this.#phase) || data.length === 0) return;
    if (this.#paused !== null) {
      this.#paused.pending.push(data);
      return;
    }
    this.#parse(data);
  }

  /** Parses `data`; what follows a message handed out for inflating waits in `#paused`. */
  #parse(data: Uint8Array): void {
    const stopped = this.parseFrames(data, 0);
    if (stopped < data.length && this.#paused !== null) {
      this.#paused.pending.unshift(data.subarray(stopped));
    }
  }

  /** Parses input that waited while a message was inflated, until done or paused again. */
  #resume(paused: Paused): void {
    while (paused.pending.length > 0 && this.#paused === null && isReading(this.#phase)) {
      this.#parse(paused.pending.shift()!);
    }
    if (this.#paused !== null) {
      // Paused again: what is left waits behind the new message.
      this.#paused.pending.push(...paused.pending);
      this.#paused.eof ||= paused.eof;
    } else if (paused.eof) {
      this.receiveEof();
    }
  }

  /**
   * The compressed message waiting to be inflated, once (null when there is none, or when it was
   * already taken). See {@link InflateWork}.
   */
  takeWork(): InflateWork | null {
    const paused = this.#paused;
    if (paused === null || paused.taken) return null;
    paused.taken = true;
    return paused.work;
  }

  /**
   * The inflated payload of the message from {@link takeWork}: it is validated (UTF-8 for text,
   * RFC 6455 §8.1) and delivered, then parsing resumes with what arrived meanwhile.
   */
  completeWork(payload: Uint8Array): void {
    const paused = this.#paused;
    if (paused === null || !isReading(this.#phase)) return;
    this.#paused = null;
    const work = paused.work;
    if (payload.length > this.maxMessageSize) {
      this.#protocolError(
        E.MESSAGE_TOO_BIG,
        CloseCode.MESSAGE_TOO_BIG,
        `message exceeds ${this.maxMessageSize} bytes`,
      );
      return;
    }
    if (!work.binary && !this.#config.isUtf8(payload)) {
      this.#invalidUtf8();
      return;
    }
    this.#emit(work.binary ? { type: 'binary', data: payload } : { type: 'text', data: payload });
    this.#resume(paused);
  }

  /**
   * Inflating the message from {@link takeWork} failed: `tooBig` when the output passed the limit
   * (1009), else the compressed data was invalid (1007).
   */
  failWork(tooBig: boolean, detail = ''): void {
    if (this.#paused === null || !isReading(this.#phase)) return;
    this.#paused = null;
    if (tooBig) {
      this.#protocolError(
        E.MESSAGE_TOO_BIG,
        CloseCode.MESSAGE_TOO_BIG,
        `message exceeds ${this.maxMessageSize} bytes once inflated`,
      );
    } else {
      const message = `invalid compressed data${detail === '' ? '' : `: ${detail}`}`;
      this.#protocolError(
        E.INVALID_COMPRESSED_DATA,
        CloseCode.INVALID_PAYLOAD,
        message.slice(0, 123),
      );
    }
  }

  /**
   * Reports that the transport reached end of stream. Without a close frame first, the closure
   * is abnormal (1006); either way the connection is now CLOSED and the end of stream is
   * returned, once, by {@link dataToSend} if it was not sent yet.
   */
  receiveEof(): void {
    if (this.#phase === Phase.CLOSED) return;
    if (this.#paused !== null && isReading(this.#phase)) {
      // Deliver the message being inflated (and what came before the end) first.
      this.#paused.eof = true;
      return;
    }
    this.#advance(Input.EOF);
  }

  /** How many bytes {@link dataToSend} would return now (what is queued, not yet taken). */
  get bytesToSend(): number {
    return this.#outBytes;
  }

  /**
   * Events since the last call, in order. After a protocol violation, the `error` event comes
   * after the messages that arrived complete before it; the connection is failed (its close
   * frame queued) once that batch has been taken and the next call to this method or to
   * {@link dataToSend} is made, so the answers to those messages go out before the close frame.
   */
  eventsReceived(): readonly ConnectionEvent[] {
    const pending = this.#pendingClose;
    if (pending !== null) {
      if (pending.taken) this.#advance(Input.EVENTS_TAKEN);
      else pending.taken = true;
    }
    const events = this.#events;
    if (events === null) return NO_EVENTS;
    this.#events = null;
    return events;
  }

  #emit(event: ConnectionEvent): void {
    if (this.#events === null) this.#events = [event];
    else this.#events.push(event);
  }

  // ---- Output -----------------------------------------------------------------------------

  /**
   * Bytes to write since the last call, in order. {@link SEND_EOF} (compare by identity) means
   * "close the sending side of the transport now"; nothing follows it.
   */
  dataToSend(): readonly Uint8Array[] {
    if (this.#pendingClose?.taken === true) this.#advance(Input.EVENTS_TAKEN);
    const out = this.#out;
    if (out === null) return NO_DATA;
    this.#out = null;
    this.#outBytes = 0;
    return out;
  }

  #output(): Uint8Array[] {
    this.#out ??= [];
    return this.#out;
  }

  /**
   * Sends a text message, or the first fragment of one when `fin` is false. A string is encoded
   * as UTF-8; bytes must already be valid UTF-8 (RFC 6455 §5.6).
   */
  sendText(data: string | Uint8Array, fin = true): void {
    this.#startMessage(Opcode.TEXT, fin);
    this.#sendData(Opcode.TEXT, data, fin);
  }

  /** Sends a binary message, or the first fragment of one when `fin` is false. */
  sendBinary(data: Uint8Array, fin = true): void {
    this.#startMessage(Opcode.BINARY, fin);
    this.#sendData(Opcode.BINARY, data, fin);
  }

  /**
   * Sends a whole message whose payload the caller compressed (RFC 7692 §7.2.1: DEFLATE output
   * with the trailing `00 00 ff ff` removed), with RSV1 set. Requires `compression`.
   */
  sendCompressed(binary: boolean, payload: Uint8Array): void {
    this.#startMessage(binary ? Opcode.BINARY : Opcode.TEXT, true);
    if (!this.compression) {
      throw new InvalidStateError('permessage-deflate was not negotiated on this connection');
    }
    const b0 = firstByte(true, RSV1, binary ? Opcode.BINARY : Opcode.TEXT);
    const { slab, masks } = this.#config;
    this.#outBytes += writeFrame(slab, this.#output(), b0, payload, masks?.next() ?? null);
  }

  /** Sends the next fragment of the message begun by `sendText`/`sendBinary` with `fin` false. */
  sendContinuation(data: string | Uint8Array, fin: boolean): void {
    this.#assertOpen('send a continuation frame');
    const sending = this.#sending;
    if (sending === null) throw new InvalidStateError('no fragmented message is being sent');
    if (typeof data === 'string' && sending.opcode !== Opcode.TEXT) {
      throw new InvalidStateError('a binary message cannot continue with a string');
    }
    this.#sendData(Opcode.CONTINUATION, data, fin);
    if (fin) {
      this.#sending = null;
      if (sending.deferred !== null)
        for (const message of sending.deferred) this.sendPrepared(message);
    }
  }

  /**
   * Queues a message framed once by `prepareMessage` (a server's topic publish: the same bytes
   * for every subscriber). While a fragmented message is being sent, it waits for its end: RFC
   * 6455 §5.4 forbids interleaving the frames of two messages.
   */
  sendPrepared(message: PreparedMessage): void {
    this.#assertOpen('send a message');
    if (this.#config.masks !== null) {
      throw new InvalidStateError('a client masks every frame: prepared messages are for servers');
    }
    if (message.compressed && !this.compression) {
      throw new InvalidStateError('permessage-deflate was not negotiated on this connection');
    }
    const sending = this.#sending;
    if (sending !== null) {
      if (sending.deferred === null) sending.deferred = [message];
      else sending.deferred.push(message);
      return;
    }
    const out = this.#output();
    for (const chunk of message.chunks) out.push(chunk);
    this.#outBytes += message.size;
  }

  /** Sends a ping (RFC 6455 §5.5.2). The payload is at most 125 bytes. */
  sendPing(data: Uint8Array = EMPTY): void {
    this.#assertOpen('send a ping');
    this.#sendControl(Opcode.PING, data);
  }

  /** Sends an unsolicited pong, a unidirectional heartbeat (RFC 6455 §5.5.3). */
  sendPong(data: Uint8Array = EMPTY): void {
    this.#assertOpen('send a pong');
    this.#sendControl(Opcode.PONG, data);
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2). Without a code the close frame has no body.
   * Throws for a code that may not be sent or a reason over 123 bytes.
   */
  sendClose(code?: number, reason = ''): void {
    this.#assertOpen('close');
    const payload = encodeClosePayload(code, reason);
    this.#advance(Input.SEND_CLOSE, {
      payload,
      frame: { code: code ?? CloseCode.NO_STATUS_RECEIVED, reason },
    });
  }

  /**
   * Fails the connection (RFC 6455 §7.1.7): sends a close frame with `code` if none was sent,
   * stops reading, and (server) closes the transport. Use 1011 for internal errors, with no
   * detail in `reason`.
   */
  fail(code: number, reason = ''): void {
    // A close frame already waiting goes first: a violation's own code, or the peer's echoed.
    if (isAnswerPending(this.#phase)) this.#advance(Input.EVENTS_TAKEN);
    // 1006 means the transport is already gone: there is no one to send a close frame to.
    const close =
      code === CloseCode.ABNORMAL_CLOSURE
        ? null
        : { payload: encodeClosePayload(code, reason), frame: { code, reason } };
    // RFC 6455 §7.1.7: when failing the connection, a server closes the TCP connection without
    // waiting for the client (the FAIL transition's SERVER_HALF_CLOSE).
    this.#advance(Input.FAIL, close);
  }

  // ---- Frame validation (the FrameParser hooks) ----------------------------------------------

  protected override onFrameHeader(
    fin: boolean,
    rsv: number,
    opcode: number,
    masked: boolean,
    length: number,
  ): boolean {
    const problem = checkFrameHeader(
      this.#config,
      fin,
      rsv,
      opcode,
      masked,
      length,
      this.#messageOpcode,
      this.#message?.length ?? 0,
    );
    if (problem !== null) {
      this.#protocolError(problem[0], problem[1], problem[2]);
      return false;
    }
    this.#frame = fin ? opcode | FRAME_FIN : opcode;
    this.#frameReceived = 0;
    if (opcode === Opcode.TEXT || opcode === Opcode.BINARY) {
      // The frame rules allow RSV1 only on a first frame, and only when negotiated.
      this.#messageOpcode = rsv === 0 ? opcode : opcode | COMPRESSED;
    }
    return true;
  }

  protected override onFramePayload(
    data: Uint8Array,
    start: number,
    end: number,
    frameEnd: boolean,
  ): boolean {
    const whole = frameEnd && this.#frameReceived === 0;
    this.#frameReceived += end - start;
    if ((this.#frame & 0x0f) >= 0x8) return this.#controlPayload(data, start, end, frameEnd, whole);
    if (this.#messageOpcode >= COMPRESSED) return this.#compressedPiece(data, start, end, frameEnd);
    if (whole && this.#frame >= FRAME_FIN && this.#message === null) {
      return this.#wholeMessage(data.subarray(start, end));
    }
    return this.#messagePiece(data, start, end, frameEnd);
  }

  protected override onFrameError(code: ErrorCode, message: string): void {
    this.#protocolError(code, CloseCode.PROTOCOL_ERROR, message);
  }

  // ---- Messages ----------------------------------------------------------------------------

  /** The common case: an unfragmented message contained in one read, delivered as a view. */
  #wholeMessage(payload: Uint8Array): boolean {
    const opcode = this.#messageOpcode;
    this.#messageOpcode = 0;
    if (opcode === Opcode.TEXT) {
      if (!this.#config.isUtf8(payload)) return this.#invalidUtf8();
      this.#emit({ type: 'text', data: payload });
    } else {
      this.#emit({ type: 'binary', data: payload });
    }
    return true;
  }

  /**
   * A piece of a message that spans frames or reads: validated as it arrives (a bad UTF-8 byte
   * fails the connection at once, RFC 6455 §8.1) and copied into one growing buffer, so that a
   * message made of many tiny fragments costs its size and no more.
   */
  #messagePiece(data: Uint8Array, start: number, end: number, frameEnd: boolean): boolean {
    const message = this.#messageBuffer();
    const { isUtf8, alloc, maxMessageSize } = this.#config;
    const text = this.#messageOpcode === Opcode.TEXT;
    if (text) {
      message.utf8 = utf8ValidateWith(isUtf8, message.utf8, data, start, end);
      if (message.utf8 === UTF8_REJECT) return this.#invalidUtf8();
    }
    // A single frame spread over reads: its whole size is known (received + still to come).
    const exact =
      this.#frame >= FRAME_FIN && message.length === 0
        ? this.#frameReceived + this.frameRemaining
        : 0;
    message.append(data, start, end, alloc, maxMessageSize, exact, this.#config.allocUnsafe);
    if (!frameEnd || this.#frame < FRAME_FIN) return true;
    // RFC 6455 §5.6: the whole message must be valid UTF-8, so it cannot end mid-character.
    if (text && message.utf8 !== UTF8_ACCEPT) return this.#invalidUtf8();
    const payload = message.contents(EMPTY);
    this.#emit(text ? { type: 'text', data: payload } : { type: 'binary', data: payload });
    this.#messageOpcode = 0;
    this.#message = null;
    return true;
  }

  /**
   * A piece of a compressed message: collected as is (it is validated once inflated). At the end
   * of the message, parsing pauses and the message becomes the {@link InflateWork}.
   */
  #compressedPiece(data: Uint8Array, start: number, end: number, frameEnd: boolean): boolean {
    const whole = frameEnd && this.#frame >= FRAME_FIN && this.#message === null;
    let payload: Uint8Array;
    if (whole) {
      payload = data.subarray(start, end);
    } else {
      const message = this.#messageBuffer();
      const room = compressedBound(this.#config.maxMessageSize);
      message.append(data, start, end, this.#config.alloc, room);
      if (!frameEnd || this.#frame < FRAME_FIN) return true;
      payload = message.contents(EMPTY);
    }
    const binary = (this.#messageOpcode & 0x0f) === Opcode.BINARY;
    this.#paused = {
      work: { data: payload, binary, limit: this.maxMessageSize },
      taken: false,
      pending: [],
      eof: false,
    };
    this.#messageOpcode = 0;
    this.#message = null;
    return false; // pause until completeWork / failWork
  }

  #messageBuffer(): MessageBuffer {
    this.#message ??= new MessageBuffer();
    return this.#message;
  }

  #invalidUtf8(): false {
    this.#protocolError(
      E.INVALID_UTF8,
      CloseCode.INVALID_PAYLOAD,
      'invalid UTF-8 in a text message',
    );
    return false;
  }

  // ---- Control frames ----------------------------------------------------------------------

  #controlPayload(
    data: Uint8Array,
    start: number,
    end: number,
    frameEnd: boolean,
    whole: boolean,
  ): boolean {
    let payload: Uint8Array;
    if (whole) {
      payload = data.subarray(start, end);
    } else {
      this.#control ??= new MessageBuffer();
      const control = this.#control;
      control.append(data, start, end, (n) => new Uint8Array(n), MAX_CONTROL_PAYLOAD);
      if (!frameEnd) return true;
      payload = control.contents(EMPTY);
      this.#control = null;
    }
    switch (this.#frame & 0x0f) {
      case Opcode.PING:
        return this.#onPing(payload);
      case Opcode.PONG:
        this.#emit({ type: 'pong', data: payload });
        return true;
      default:
        return this.#onClose(payload);
    }
  }

  /**
   * RFC 6455 §5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in
   * response, unless it already received a Close frame", with "identical Application data".
   * Input stops at the peer's close frame, so any ping seen here is answered, even after we sent
   * our own close frame.
   */
  #onPing(payload: Uint8Array): boolean {
    this.#sendControl(Opcode.PONG, payload);
    this.#emit({ type: 'ping', data: payload });
    return true;
  }

  /**
   * RFC 6455 §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close
   * frame, the endpoint MUST send a Close frame in response. (When sending a Close frame in
   * response, the endpoint typically echos the status code it received.)"
   */
  #onClose(payload: Uint8Array): boolean {
    const parsed = parseClosePayload(payload);
    if (parsed === 'length') {
      return this.#protocolError(
        E.INVALID_CLOSE_PAYLOAD,
        CloseCode.PROTOCOL_ERROR,
        'close frame with a 1-byte payload',
      );
    }
    if (parsed === 'code') {
      const code = (payload[0]! << 8) | payload[1]!;
      return this.#protocolError(
        E.INVALID_CLOSE_CODE,
        CloseCode.PROTOCOL_ERROR,
        `invalid close code ${code}`,
      );
    }
    if (parsed === 'utf8') return this.#invalidUtf8();
    const closing = this.#closingState();
    closing.received = parsed;
    const waiting = this.#events !== null;
    this.#emit({ type: 'close', code: parsed.code, reason: parsed.reason });
    if (this.#phase === Phase.OPEN) closing.receivedThenSent = true;
    // Echo the code (sent only from OPEN: see the table); a close without a code is answered with
    // a close without a code. After the peer's close frame nothing more may follow (RFC 6455
    // §5.5.1): input stops, and a server whose close handshake is now complete closes TCP. When
    // messages before it wait to be taken, the echo waits for them, so that their answers go out
    // first ("the endpoint MAY delay sending a Close frame until its current message is sent").
    const echo = {
      payload: payload.length === 0 ? EMPTY : payload.slice(0, 2),
      frame: { code: parsed.code, reason: '' },
    };
    if (waiting && this.#phase === Phase.OPEN) {
      this.#pendingClose = { close: echo, taken: false };
      this.#advance(Input.CLOSE_BEHIND_EVENTS);
    } else {
      this.#advance(Input.RECEIVE_CLOSE, echo);
    }
    return false;
  }

  // ---- Failure -----------------------------------------------------------------------------

  /**
   * The one path for every violation by the peer: report it, stop reading, and fail the
   * connection. Messages that arrived complete before the violation are still delivered first,
   * and answered: when events are waiting to be taken, the close frame waits for them (see
   * {@link eventsReceived}). The connection stays OPEN meanwhile, so answers can be sent.
   */
  #protocolError(code: ErrorCode, closeCode: number, message: string): false {
    const error = new ProtocolError(code, closeCode, message);
    this.#closingState().failure = error;
    // The reason is the short, fixed description of the violation: it helps the peer's developer
    // and carries nothing from our side.
    const reason = message.length <= 123 ? message : '';
    const close = {
      payload: encodeClosePayload(closeCode, reason),
      frame: { code: closeCode, reason },
    };
    const waiting = this.#events !== null;
    this.#emit({ type: 'error', error });
    if (waiting) {
      this.#pendingClose = { close, taken: false };
      this.#advance(Input.VIOLATION);
    } else {
      this.#advance(Input.FAIL, close);
    }
    return false;
  }

  /**
   * Moves the lifecycle (see `lifecycle.ts`) and carries out the transition's actions. `close` is
   * the close frame to send if the transition sends one: undefined for the pending failure's,
   * null for none.
   */
  #advance(input: Input, close?: OutgoingClose | null): void {
    const [next, actions] = transition(this.#phase, input);
    this.#phase = next;
    if ((actions & Action.SEND_CLOSE_FRAME) !== 0) {
      const frame = close === undefined ? (this.#pendingClose?.close ?? null) : close;
      if (frame !== null) {
        this.#sendControl(Opcode.CLOSE, frame.payload);
        this.#closingState().sent = frame.frame;
        this.#sending = null;
      }
    }
    if (!isAnswerPending(next)) this.#pendingClose = null;
    if ((actions & Action.STOP_READING) !== 0) this.#paused = null;
    const halfClose =
      (actions & Action.HALF_CLOSE) !== 0 ||
      ((actions & Action.SERVER_HALF_CLOSE) !== 0 && this.#config.endAfterClosing);
    if (halfClose) this.#sendEof();
  }

  // ---- Sending -----------------------------------------------------------------------------

  #assertOpen(what: string): void {
    if (!canSend(this.#phase)) {
      throw new InvalidStateError(`cannot ${what}: the connection is ${stateName(this.state)}`);
    }
  }

  #startMessage(opcode: number, fin: boolean): void {
    this.#assertOpen(opcode === Opcode.TEXT ? 'send a text message' : 'send a binary message');
    if (this.#sending !== null) {
      throw new InvalidStateError(
        'a fragmented message is being sent: finish it with sendContinuation',
      );
    }
    if (!fin) this.#sending = { opcode, deferred: null };
  }

  #sendData(opcode: number, data: string | Uint8Array, fin: boolean): void {
    const b0 = firstByte(fin, 0, opcode);
    const { slab, masks } = this.#config;
    const mask = masks === null ? null : masks.next();
    this.#outBytes +=
      typeof data === 'string'
        ? writeTextFrame(slab, this.#output(), b0, data, mask)
        : writeFrame(slab, this.#output(), b0, data, mask);
  }

  #sendControl(opcode: number, payload: Uint8Array): void {
    if (payload.length > MAX_CONTROL_PAYLOAD) {
      throw new RangeError(`a control frame payload is at most 125 bytes (got ${payload.length})`);
    }
    const { slab, masks } = this.#config;
    const mask = masks === null ? null : masks.next();
    this.#outBytes += writeFrame(slab, this.#output(), firstByte(true, 0, opcode), payload, mask);
  }

  #sendEof(): void {
    const closing = this.#closingState();
    if (closing.eofSent) return;
    closing.eofSent = true;
    this.#output().push(SEND_EOF);
  }
}

function stateName(state: State): string {
  return state === State.OPEN ? 'open' : state === State.CLOSING ? 'closing' : 'closed';
}
