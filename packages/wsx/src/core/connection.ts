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
import { CloseCode, MAX_CONTROL_PAYLOAD, Opcode } from './constants.js';
import { ErrorCode as E, type ErrorCode, InvalidStateError, ProtocolError } from './errors.js';
import type { ConnectionEvent } from './events.js';
import { FrameParser } from './frame-parser.js';
import { checkFrameHeader, type Role } from './frame-rules.js';
import {
  type Allocator,
  firstByte,
  type MaskSource,
  maskSourceFor,
  type PreparedMessage,
  type RandomFill,
  type Slab,
  slabFor,
  writeFrame,
  writeTextFrame,
} from './frame-writer.js';
import { nextState, State, serverShouldSendEof, Transition } from './state.js';
import { isValidUtf8, UTF8_ACCEPT, UTF8_REJECT, type Utf8Check, utf8ValidateWith } from './utf8.js';

export type { Role } from './frame-rules.js';

/** Options of a {@link Connection}. */
export interface ConnectionOptions {
  /** Which end of the connection this is. Decides masking and who closes TCP first. */
  readonly role: Role;
  /**
   * Largest message accepted, in bytes, after reassembly of its fragments. Larger ones fail the
   * connection with 1009. Default 1 MiB: generous for chat-sized traffic, small enough that a
   * thousand connections cannot be made to hold a gigabyte.
   */
  readonly maxMessageSize?: number;
  /** Largest single frame accepted, in bytes. Default: `maxMessageSize`. */
  readonly maxFrameSize?: number;
  /** Random source for client masking keys. Required for clients (RFC 6455 §10.3). */
  readonly random?: RandomFill;
  /** A fast whole-buffer UTF-8 check, such as `buffer.isUtf8`. Default: the built-in validator. */
  readonly isUtf8?: Utf8Check;
  /** Allocates buffers for reassembled messages and outgoing frames. */
  readonly alloc?: Allocator;
  /**
   * permessage-deflate was negotiated (RFC 7692): RSV1 marks a compressed message. Compressed
   * messages come out as {@link InflateWork} for the I/O layer, which owns the codec.
   */
  readonly compression?: boolean;
}

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

const DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024;

/** RSV1, the "Per-Message Compressed" bit (RFC 7692 §6), as the 3-bit RSV field. */
const RSV1 = 0b100;

const allocUint8Array: Allocator = (size) => new Uint8Array(size);

/** The end-of-stream marker in {@link Connection.dataToSend}: "half-close TCP now". */
export const SEND_EOF: Uint8Array = new Uint8Array(0);

const NO_EVENTS: readonly ConnectionEvent[] = Object.freeze([]);
const NO_DATA: readonly Uint8Array[] = Object.freeze([]);
const EMPTY = new Uint8Array(0);

/** Bytes set aside for a message that arrives in pieces, before growing by doubling. */
const MIN_MESSAGE_BUFFER = 4096;

export class Connection extends FrameParser {
  readonly role: Role;
  readonly maxMessageSize: number;
  readonly maxFrameSize: number;
  /** Whether permessage-deflate is in use: RSV1 is then allowed on a message's first frame. */
  readonly compression: boolean;
  readonly #isUtf8: Utf8Check;
  readonly #alloc: Allocator;
  readonly #slab: Slab;
  readonly #masks: MaskSource | null;

  #state: State = State.OPEN;
  #events: ConnectionEvent[] = [];
  #out: Uint8Array[] = [];
  /** Bytes in `#out`. */
  #outBytes = 0;
  /** Input that arrived while parsing was paused. Null while parsing runs. */
  #pending: Uint8Array[] | null = null;
  /** Set once input must be ignored: the peer's close arrived, or the connection failed. */
  #discarding = false;

  // The frame being received.
  #frameOpcode = 0;
  #frameFin = false;
  #frameReceived = 0;

  // The data message being received: opcode 0 when none is in progress.
  #messageOpcode = 0;
  #message: Uint8Array | null = null;
  #messageLength = 0;
  #utf8 = UTF8_ACCEPT;
  /** Whether the message being received is compressed (RSV1 on its first frame). */
  #compressed = false;
  /** A compressed message handed to the I/O layer; parsing waits for the answer. */
  #work: InflateWork | null = null;
  #workTaken = false;
  /** End of stream that arrived while a message was being inflated. */
  #eofWaiting = false;

  // A control frame whose payload arrives in several reads.
  #control: Uint8Array | null = null;
  #controlLength = 0;

  /** Opcode of the fragmented message being sent, 0 when none. */
  #sendingOpcode = 0;
  /** Prepared messages that arrived while a fragmented message was being sent. */
  #deferred: PreparedMessage[] | null = null;

  #closeSent: CloseFrame | null = null;
  #closeReceived: CloseFrame | null = null;
  #closeReceivedThenSent = false;
  #failure: ProtocolError | null = null;
  #eofSent = false;

  constructor(options: ConnectionOptions) {
    super();
    this.role = options.role;
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.maxFrameSize = options.maxFrameSize ?? this.maxMessageSize;
    this.compression = options.compression ?? false;
    this.#isUtf8 = options.isUtf8 ?? isValidUtf8;
    this.#alloc = options.alloc ?? allocUint8Array;
    this.#slab = slabFor(options.alloc);
    if (this.role === 'client') {
      if (options.random === undefined) {
        throw new TypeError('a client connection needs a random source for masking keys');
      }
      this.#masks = maskSourceFor(options.random);
    } else {
      this.#masks = null;
    }
  }

  /** OPEN, CLOSING or CLOSED; see `state.ts`. */
  get state(): State {
    return this.#state;
  }

  /** The close frame we sent, if any. */
  get closeSent(): CloseFrame | null {
    return this.#closeSent;
  }

  /** The close frame the peer sent, if any. */
  get closeReceived(): CloseFrame | null {
    return this.#closeReceived;
  }

  /** Whether the peer's close frame came first and ours answered it. */
  get closeReceivedThenSent(): boolean {
    return this.#closeReceivedThenSent;
  }

  /** Why the connection was failed, if it was. */
  get failure(): ProtocolError | null {
    return this.#failure;
  }

  /**
   * The close code to report: the peer's (1005 if its close frame had no code), or 1006 when no
   * close frame arrived (RFC 6455 §7.1.5, §7.4.1).
   */
  get closeCode(): number {
    return this.#closeReceived?.code ?? CloseCode.ABNORMAL_CLOSURE;
  }

  /** The peer's close reason, or '' (RFC 6455 §7.1.6). */
  get closeReason(): string {
    return this.#closeReceived?.reason ?? '';
  }

  /**
   * Whether the I/O layer should expect the peer to close the transport, and arm a timer that
   * closes it if the peer does not: true from the moment the closing handshake starts or the
   * connection fails until the transport is closed.
   */
  closeExpected(): boolean {
    return this.#state === State.CLOSING;
  }

  // ---- Input ------------------------------------------------------------------------------

  /**
   * Feeds bytes read from the transport. Takes ownership of `data`: masked payloads are unmasked
   * in place and messages may be views of it. Never throws because of what the peer sent.
   */
  receiveData(data: Uint8Array): void {
    if (this.#discarding || this.#state === State.CLOSED || data.length === 0) return;
    if (this.#pending !== null || this.#work !== null) {
      if (this.#pending === null) this.#pending = [data];
      else this.#pending.push(data);
      return;
    }
    this.#parse(data);
  }

  #parse(data: Uint8Array): void {
    const stopped = this.parseFrames(data, 0);
    if (stopped < data.length && !this.#discarding) {
      if (this.#pending === null) this.#pending = [data.subarray(stopped)];
      else this.#pending.unshift(data.subarray(stopped));
    }
  }

  /** Parses input that waited while a message was inflated, until done or paused again. */
  #resume(): void {
    while (this.#pending !== null && this.#work === null && !this.#discarding) {
      const next = this.#pending.shift();
      if (this.#pending.length === 0) this.#pending = null;
      if (next === undefined) break;
      this.#parse(next);
    }
    if (this.#eofWaiting && this.#work === null) {
      this.#eofWaiting = false;
      this.receiveEof();
    }
  }

  /**
   * The compressed message waiting to be inflated, once (null when there is none, or when it was
   * already taken). See {@link InflateWork}.
   */
  takeWork(): InflateWork | null {
    if (this.#work === null || this.#workTaken) return null;
    this.#workTaken = true;
    return this.#work;
  }

  /**
   * The inflated payload of the message from {@link takeWork}: it is validated (UTF-8 for text,
   * RFC 6455 §8.1) and delivered, then parsing resumes with what arrived meanwhile.
   */
  completeWork(payload: Uint8Array): void {
    const work = this.#work;
    if (work === null || this.#discarding) return;
    this.#work = null;
    this.#workTaken = false;
    if (payload.length > this.maxMessageSize) {
      this.#protocolError(
        E.MESSAGE_TOO_BIG,
        CloseCode.MESSAGE_TOO_BIG,
        `message exceeds ${this.maxMessageSize} bytes`,
      );
      return;
    }
    if (!work.binary && !this.#isUtf8(payload)) {
      this.#invalidUtf8();
      return;
    }
    this.#events.push(
      work.binary ? { type: 'binary', data: payload } : { type: 'text', data: payload },
    );
    this.#resume();
  }

  /**
   * Inflating the message from {@link takeWork} failed: `tooBig` when the output passed the limit
   * (1009), else the compressed data was invalid (1007).
   */
  failWork(tooBig: boolean, detail = ''): void {
    if (this.#work === null || this.#discarding) return;
    this.#work = null;
    this.#workTaken = false;
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
    if (this.#state === State.CLOSED) return;
    if (this.#work !== null && !this.#discarding) {
      // Deliver the message being inflated (and what came before the end) first.
      this.#eofWaiting = true;
      return;
    }
    this.#discarding = true;
    this.#pending = null;
    this.#state = nextState(this.#state, Transition.EOF_RECEIVED);
    this.#sendEof();
  }

  /** How many bytes {@link dataToSend} would return now (what is queued, not yet taken). */
  get bytesToSend(): number {
    return this.#outBytes;
  }

  /** Events since the last call, in order. */
  eventsReceived(): readonly ConnectionEvent[] {
    const events = this.#events;
    if (events.length === 0) return NO_EVENTS;
    this.#events = [];
    return events;
  }

  // ---- Output -----------------------------------------------------------------------------

  /**
   * Bytes to write since the last call, in order. {@link SEND_EOF} (compare by identity) means
   * "close the sending side of the transport now"; nothing follows it.
   */
  dataToSend(): readonly Uint8Array[] {
    const out = this.#out;
    if (out.length === 0) return NO_DATA;
    this.#out = [];
    this.#outBytes = 0;
    return out;
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
    const mask = this.#masks === null ? null : this.#masks.next();
    this.#outBytes += writeFrame(this.#slab, this.#out, b0, payload, mask);
  }

  /** Sends the next fragment of the message begun by `sendText`/`sendBinary` with `fin` false. */
  sendContinuation(data: string | Uint8Array, fin: boolean): void {
    this.#assertOpen('send a continuation frame');
    if (this.#sendingOpcode === 0) {
      throw new InvalidStateError('no fragmented message is being sent');
    }
    if (typeof data === 'string' && this.#sendingOpcode !== Opcode.TEXT) {
      throw new InvalidStateError('a binary message cannot continue with a string');
    }
    this.#sendData(Opcode.CONTINUATION, data, fin);
    if (fin) {
      this.#sendingOpcode = 0;
      const deferred = this.#deferred;
      this.#deferred = null;
      if (deferred !== null) for (const message of deferred) this.sendPrepared(message);
    }
  }

  /**
   * Queues a message framed once by `prepareMessage` (a server's topic publish: the same bytes
   * for every subscriber). While a fragmented message is being sent, it waits for its end: RFC
   * 6455 §5.4 forbids interleaving the frames of two messages.
   */
  sendPrepared(message: PreparedMessage): void {
    this.#assertOpen('send a message');
    if (this.#masks !== null) {
      throw new InvalidStateError('a client masks every frame: prepared messages are for servers');
    }
    if (this.#sendingOpcode !== 0) {
      if (this.#deferred === null) this.#deferred = [message];
      else this.#deferred.push(message);
      return;
    }
    if (message.compressed && !this.compression) {
      throw new InvalidStateError('permessage-deflate was not negotiated on this connection');
    }
    for (const chunk of message.chunks) this.#out.push(chunk);
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
    this.#writeClose(payload, { code: code ?? CloseCode.NO_STATUS_RECEIVED, reason });
  }

  /**
   * Fails the connection (RFC 6455 §7.1.7): sends a close frame with `code` if none was sent,
   * stops reading, and (server) closes the transport. Use 1011 for internal errors, with no
   * detail in `reason`.
   */
  fail(code: number, reason = ''): void {
    // 1006 means the transport is already gone: there is no one to send a close frame to.
    if (this.#state === State.OPEN && code !== CloseCode.ABNORMAL_CLOSURE) {
      this.#writeClose(encodeClosePayload(code, reason), { code, reason });
    }
    this.#discarding = true;
    this.#pending = null;
    this.#work = null;
    this.#state = nextState(this.#state, Transition.FAILED);
    // "When failing the connection, a server closes the TCP connection without waiting for the
    // client" (RFC 6455 §7.1.7: "the endpoint ... SHOULD ... _Close the WebSocket Connection_").
    if (this.role === 'server') this.#sendEof();
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
      this,
      fin,
      rsv,
      opcode,
      masked,
      length,
      this.#messageOpcode,
      this.#messageLength,
    );
    if (problem !== null) {
      this.#protocolError(problem[0], problem[1], problem[2]);
      return false;
    }
    this.#frameOpcode = opcode;
    this.#frameFin = fin;
    this.#frameReceived = 0;
    if (opcode === Opcode.TEXT || opcode === Opcode.BINARY) {
      this.#messageOpcode = opcode;
      this.#messageLength = 0;
      this.#utf8 = UTF8_ACCEPT;
      this.#compressed = rsv !== 0; // frame rules allow only RSV1, and only when negotiated
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
    if (this.#frameOpcode >= 0x8) return this.#controlPayload(data, start, end, frameEnd, whole);
    if (this.#compressed) return this.#compressedPiece(data, start, end, frameEnd);
    if (whole && this.#frameFin && this.#messageLength === 0) {
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
      if (!this.#isUtf8(payload)) return this.#invalidUtf8();
      this.#events.push({ type: 'text', data: payload });
    } else {
      this.#events.push({ type: 'binary', data: payload });
    }
    return true;
  }

  /**
   * A piece of a message that spans frames or reads: validated as it arrives (a bad UTF-8 byte
   * fails the connection at once, RFC 6455 §8.1) and copied into one growing buffer, so that a
   * message made of many tiny fragments costs its size and no more.
   */
  #messagePiece(data: Uint8Array, start: number, end: number, frameEnd: boolean): boolean {
    if (this.#messageOpcode === Opcode.TEXT) {
      this.#utf8 = utf8ValidateWith(this.#isUtf8, this.#utf8, data, start, end);
      if (this.#utf8 === UTF8_REJECT) return this.#invalidUtf8();
    }
    this.#append(data, start, end);
    if (!frameEnd || !this.#frameFin) return true;
    // RFC 6455 §5.6: the whole message must be valid UTF-8, so it cannot end mid-character.
    if (this.#messageOpcode === Opcode.TEXT && this.#utf8 !== UTF8_ACCEPT) {
      return this.#invalidUtf8();
    }
    const payload = this.#message === null ? EMPTY : this.#message.subarray(0, this.#messageLength);
    this.#events.push(
      this.#messageOpcode === Opcode.TEXT
        ? { type: 'text', data: payload }
        : { type: 'binary', data: payload },
    );
    this.#messageOpcode = 0;
    this.#message = null;
    this.#messageLength = 0;
    return true;
  }

  /**
   * A piece of a compressed message: collected as is (it is validated once inflated). At the end
   * of the message, parsing pauses and the message becomes the {@link InflateWork}.
   */
  #compressedPiece(data: Uint8Array, start: number, end: number, frameEnd: boolean): boolean {
    const whole = frameEnd && this.#frameFin && this.#messageLength === 0 && this.#message === null;
    const payload = whole ? data.subarray(start, end) : null;
    if (payload === null) this.#append(data, start, end);
    if (!frameEnd || !this.#frameFin) return true;
    const compressed =
      payload ?? (this.#message === null ? EMPTY : this.#message.subarray(0, this.#messageLength));
    this.#work = {
      data: compressed,
      binary: this.#messageOpcode === Opcode.BINARY,
      limit: this.maxMessageSize,
    };
    this.#messageOpcode = 0;
    this.#message = null;
    this.#messageLength = 0;
    this.#compressed = false;
    return false; // pause until completeWork / failWork
  }

  /** Copies a piece into the message buffer, doubling it as needed (never past the limit). */
  #append(data: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n === 0) return;
    const needed = this.#messageLength + n;
    const current = this.#message;
    if (current === null || needed > current.length) {
      const doubled = Math.max(needed, (current?.length ?? 0) * 2, MIN_MESSAGE_BUFFER);
      // Never reserve more than the message can still legally grow to.
      const capacity = Math.min(doubled, Math.max(needed, this.maxMessageSize));
      const next = this.#alloc(capacity);
      if (current !== null) next.set(current.subarray(0, this.#messageLength));
      this.#message = next;
    }
    this.#message!.set(data.subarray(start, end), this.#messageLength);
    this.#messageLength = needed;
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
      this.#control ??= new Uint8Array(MAX_CONTROL_PAYLOAD);
      this.#control.set(data.subarray(start, end), this.#controlLength);
      this.#controlLength += end - start;
      if (!frameEnd) return true;
      payload = this.#control.slice(0, this.#controlLength);
      this.#controlLength = 0;
    }
    switch (this.#frameOpcode) {
      case Opcode.PING:
        return this.#onPing(payload);
      case Opcode.PONG:
        this.#events.push({ type: 'pong', data: payload });
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
    this.#events.push({ type: 'ping', data: payload });
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
    this.#closeReceived = parsed;
    this.#events.push({ type: 'close', code: parsed.code, reason: parsed.reason });
    if (this.#state === State.OPEN) {
      this.#closeReceivedThenSent = true;
      // Echo the code; a close without a code is answered with a close without a code.
      this.#writeClose(payload.length === 0 ? EMPTY : payload.slice(0, 2), {
        code: parsed.code,
        reason: '',
      });
    }
    this.#state = nextState(this.#state, Transition.CLOSE_RECEIVED);
    // After the peer's close frame nothing more may follow (RFC 6455 §5.5.1): stop reading.
    this.#discarding = true;
    if (this.role === 'server' && serverShouldSendEof(this.#closeProgress())) this.#sendEof();
    return false;
  }

  #closeProgress() {
    return {
      closeSent: this.#closeSent !== null,
      closeReceived: this.#closeReceived !== null,
      failed: this.#failure !== null,
    };
  }

  // ---- Failure -----------------------------------------------------------------------------

  /** The one path for every violation by the peer: report it, then fail the connection. */
  #protocolError(code: ErrorCode, closeCode: number, message: string): false {
    const error = new ProtocolError(code, closeCode, message);
    this.#failure = error;
    this.#events.push({ type: 'error', error });
    // The reason is the short, fixed description of the violation: it helps the peer's developer
    // and carries nothing from our side.
    this.fail(closeCode, message.length <= 123 ? message : '');
    return false;
  }

  // ---- Sending -----------------------------------------------------------------------------

  #assertOpen(what: string): void {
    if (this.#state !== State.OPEN) {
      throw new InvalidStateError(`cannot ${what}: the connection is ${stateName(this.#state)}`);
    }
  }

  #startMessage(opcode: number, fin: boolean): void {
    this.#assertOpen(opcode === Opcode.TEXT ? 'send a text message' : 'send a binary message');
    if (this.#sendingOpcode !== 0) {
      throw new InvalidStateError(
        'a fragmented message is being sent: finish it with sendContinuation',
      );
    }
    if (!fin) this.#sendingOpcode = opcode;
  }

  #sendData(opcode: number, data: string | Uint8Array, fin: boolean): void {
    const b0 = firstByte(fin, 0, opcode);
    const mask = this.#masks === null ? null : this.#masks.next();
    this.#outBytes +=
      typeof data === 'string'
        ? writeTextFrame(this.#slab, this.#out, b0, data, mask)
        : writeFrame(this.#slab, this.#out, b0, data, mask);
  }

  #sendControl(opcode: number, payload: Uint8Array): void {
    if (payload.length > MAX_CONTROL_PAYLOAD) {
      throw new RangeError(`a control frame payload is at most 125 bytes (got ${payload.length})`);
    }
    const mask = this.#masks === null ? null : this.#masks.next();
    this.#outBytes += writeFrame(this.#slab, this.#out, firstByte(true, 0, opcode), payload, mask);
  }

  #writeClose(payload: Uint8Array, frame: CloseFrame): void {
    this.#sendControl(Opcode.CLOSE, payload);
    this.#closeSent = frame;
    this.#sendingOpcode = 0;
    this.#deferred = null;
    this.#state = nextState(this.#state, Transition.CLOSE_SENT);
  }

  #sendEof(): void {
    if (this.#eofSent) return;
    this.#eofSent = true;
    this.#out.push(SEND_EOF);
  }
}

function stateName(state: State): string {
  return state === State.OPEN ? 'open' : state === State.CLOSING ? 'closing' : 'closed';
}
