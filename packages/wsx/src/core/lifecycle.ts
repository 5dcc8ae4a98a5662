/**
 * The lifecycle of a connection, in one table: every phase, every input that moves it, and the
 * actions each transition asks for. The core's `Connection` and every facade above it (the Node
 * `WebSocket`, the WHATWG class, the reconnecting client) read their state from here.
 *
 * RFC 6455 §4.1 and §7 describe the life of a connection once the opening handshake is done:
 *
 *   OPEN ──(close sent)──▶ CLOSE_SENT ──(close received)──▶ CLOSE_DONE ──(EOF)──▶ CLOSED
 *     ├─(close received: answered)─────────────────────────────▲
 *     ├─(close received behind events)──▶ ANSWERING ──(taken)───┘
 *     ├─(violation behind events not taken yet)──▶ FAILING ──(events taken)──▶ FAILED ──(EOF)──▶ CLOSED
 *     └─(fail)──▶ FAILED
 *
 * CLOSE_SENT, CLOSE_DONE and FAILED are RFC 6455's CLOSING (§7.1.2 "Start the WebSocket Closing
 * Handshake", §7.1.3 "The WebSocket Closing Handshake is Started", §7.1.7 "Fail the WebSocket
 * Connection"); CLOSED is §7.1.4 ("the underlying TCP connection is closed"). FAILING and
 * ANSWERING are wsx's: a violation, or the peer's close frame, found behind messages the
 * application has not taken yet; the connection stays open for their answers and its close frame
 * waits for them (see `Connection.eventsReceived`). RFC 6455 §5.5.1 allows the wait: "the
 * endpoint MAY delay sending a Close frame until its current message is sent".
 */

export const Phase = {
  OPEN: 0,
  /** A violation was found behind events not taken yet: input stopped, close frame pending. */
  FAILING: 1,
  /** Our close frame is queued; the peer's is awaited, and input is still read. */
  CLOSE_SENT: 2,
  /** Both close frames were exchanged: input stops; a server closes the transport. */
  CLOSE_DONE: 3,
  /** We failed the connection (RFC 6455 §7.1.7): input stops; a server closes the transport. */
  FAILED: 4,
  /** The transport reached end of stream. */
  CLOSED: 5,
  /** The peer's close frame arrived behind events not taken yet: input stopped, answer pending. */
  ANSWERING: 6,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** What moves a connection through its lifecycle. */
export const Input = {
  /** The application starts the closing handshake. */
  SEND_CLOSE: 0,
  /** The peer's close frame arrived. */
  RECEIVE_CLOSE: 1,
  /** The peer broke the protocol while events before the violation wait to be taken. */
  VIOLATION: 2,
  /** Those events have been taken. */
  EVENTS_TAKEN: 3,
  /** The connection is failed: a violation with nothing waiting, or a local failure (1011). */
  FAIL: 4,
  /** The transport reported end of stream. */
  EOF: 5,
  /** The peer's close frame arrived while events before it wait to be taken. */
  CLOSE_BEHIND_EVENTS: 6,
} as const;
export type Input = (typeof Input)[keyof typeof Input];

/** Actions a transition asks for, as bits. */
export const Action = {
  NONE: 0,
  /** Queue our close frame (the application's, the echo of the peer's, or the failure's). */
  SEND_CLOSE_FRAME: 1,
  /** Stop reading: nothing more from the peer is parsed. */
  STOP_READING: 2,
  /**
   * A server closes its side of the transport now (RFC 6455 §7.1.1: the server closes first); so
   * does a client over an HTTP/2 stream (`endAfterClosing`).
   */
  SERVER_HALF_CLOSE: 4,
  /** Either role closes its side of the transport now (the peer's side has ended). */
  HALF_CLOSE: 8,
} as const;

const { OPEN, FAILING, ANSWERING, CLOSE_SENT, CLOSE_DONE, FAILED, CLOSED } = Phase;
const {
  SEND_CLOSE_FRAME: FRAME,
  STOP_READING: STOP,
  SERVER_HALF_CLOSE: S_END,
  HALF_CLOSE: END,
} = Action;

type Row = readonly (readonly [next: Phase, actions: number])[];

/**
 * TABLE[phase][input] = [next phase, actions], phases in the order of their values, inputs in the
 * order of {@link Input}: SEND_CLOSE, RECEIVE_CLOSE, VIOLATION, EVENTS_TAKEN, FAIL, EOF,
 * CLOSE_BEHIND_EVENTS.
 */
const TABLE: readonly Row[] = [
  /* OPEN */ [
    [CLOSE_SENT, FRAME],
    // RFC 6455 §5.5.1: "If an endpoint receives a Close frame and did not previously send a Close
    // frame, the endpoint MUST send a Close frame in response."
    [CLOSE_DONE, FRAME | STOP | S_END],
    [FAILING, STOP],
    [OPEN, 0],
    [FAILED, FRAME | STOP | S_END],
    [CLOSED, STOP | END],
    [ANSWERING, STOP],
  ],
  /* FAILING */ [
    // The application closes while answering: its close frame stands in for the failure's.
    [FAILED, FRAME | S_END],
    [FAILING, 0],
    [FAILING, 0],
    [FAILED, FRAME | S_END],
    [FAILED, FRAME | S_END],
    [CLOSED, FRAME | END],
    [FAILING, 0],
  ],
  /* CLOSE_SENT */ [
    [CLOSE_SENT, 0],
    [CLOSE_DONE, STOP | S_END],
    // Our close frame is out already: nothing to wait for.
    [FAILED, STOP | S_END],
    [CLOSE_SENT, 0],
    [FAILED, STOP | S_END],
    [CLOSED, STOP | END],
    [CLOSE_DONE, STOP | S_END],
  ],
  /* CLOSE_DONE */ [
    [CLOSE_DONE, 0],
    [CLOSE_DONE, 0],
    [CLOSE_DONE, 0],
    [CLOSE_DONE, 0],
    [CLOSE_DONE, 0],
    [CLOSED, END],
    [CLOSE_DONE, 0],
  ],
  /* FAILED */ [
    [FAILED, 0],
    [FAILED, 0],
    [FAILED, 0],
    [FAILED, 0],
    [FAILED, 0],
    [CLOSED, END],
    [FAILED, 0],
  ],
  /* CLOSED */ [
    [CLOSED, 0],
    [CLOSED, 0],
    [CLOSED, 0],
    [CLOSED, 0],
    [CLOSED, 0],
    [CLOSED, 0],
    [CLOSED, 0],
  ],
  /* ANSWERING */ [
    // The application closes while answering: its close frame is the answer.
    [CLOSE_DONE, FRAME | S_END],
    [ANSWERING, 0],
    [ANSWERING, 0],
    // The events before the peer's close are taken: the echo of its close goes out now.
    [CLOSE_DONE, FRAME | S_END],
    [FAILED, FRAME | S_END],
    [CLOSED, FRAME | END],
    [ANSWERING, 0],
  ],
];

/** The transition for `input` in `phase`: the next phase and the actions (bits of {@link Action}). */
export function transition(phase: Phase, input: Input): readonly [next: Phase, actions: number] {
  return TABLE[phase]![input]!;
}

/** Whether input is parsed in `phase`: until the peer's close frame or a failure (§5.5.1). */
export function isReading(phase: Phase): boolean {
  return phase === OPEN || phase === CLOSE_SENT;
}

/** Whether the application may send data in `phase` (and ping, pong or close). */
export function canSend(phase: Phase): boolean {
  return phase === OPEN || phase === FAILING || phase === ANSWERING;
}

/** Whether our close frame waits for events to be taken (FAILING, ANSWERING). */
export function isAnswerPending(phase: Phase): boolean {
  return phase === FAILING || phase === ANSWERING;
}

/**
 * Whether the I/O layer should expect the peer to close the transport, and arm a timer that
 * closes it if the peer does not: from the start of the closing handshake (or the failure) until
 * the transport is closed.
 */
export function isClosing(phase: Phase): boolean {
  return phase === CLOSE_SENT || phase === CLOSE_DONE || phase === FAILED;
}

/** The three states of RFC 6455 §4.1/§7 that the core reports as `Connection.state`. */
export const State = {
  OPEN: 1,
  CLOSING: 2,
  CLOSED: 3,
} as const;
export type State = (typeof State)[keyof typeof State];

export function stateOf(phase: Phase): State {
  if (phase === CLOSED) return State.CLOSED;
  return canSend(phase) ? State.OPEN : State.CLOSING;
}

/** `readyState` values (WHATWG and `ws`). */
export const ReadyState = {
  CONNECTING: 0,
  OPEN: 1,
  CLOSING: 2,
  CLOSED: 3,
} as const;
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

/**
 * The `readyState` every facade reports: CONNECTING before the opening handshake completed
 * (`phase` null), CLOSED once the transport is closed, else from the connection's phase.
 */
export function readyStateOf(phase: Phase | null, transportClosed: boolean): ReadyState {
  if (transportClosed || phase === CLOSED) return ReadyState.CLOSED;
  if (phase === null) return ReadyState.CONNECTING;
  return canSend(phase) ? ReadyState.OPEN : ReadyState.CLOSING;
}
