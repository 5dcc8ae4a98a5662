/**
 * Cost in proportion to input, for every parser the network reaches: adversarial inputs of 4 KiB
 * and 16 KiB (long runs of whitespace, quotes and escapes, separators, tiny frames and fragments,
 * a target ending in the characters that made a regular expression backtrack) are parsed, and the
 * work is counted as blocks of the library executed (V8's block counters, engine/coverage.ts),
 * never as time. Quadrupling the input may at most quadruple the steps, with a margin of 50 %.
 *
 * The counts are exact only without V8's optimizing compilers (Maglev and Turbofan in Node 24
 * and later skip some block counters in the code they compile), so the measurement runs in a
 * child process started with `--max-opt=1` (interpreter and baseline compiler only):
 * properties/measure-steps.ts, through {@link measureInChild}.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HandshakeError } from '../../src/core/errors.js';
import { parseExtensionHeader } from '../../src/core/extension-header.js';
import { parseRequestHead, parseResponseHead } from '../../src/core/http-head.js';
import { validateRequest } from '../../src/core/server-handshake.js';
import {
  DEFAULT_SERVER_DEFLATE_POLICY,
  negotiateDeflate,
} from '../../src/extensions/permessage-deflate.js';
import { countSteps } from '../engine/coverage.js';
import { check } from '../engine/target.js';
import { drive, newConnection } from '../support/drive.js';
import { concat, peerFrame } from '../support/streams.js';
import { chunkBy } from '../support/wire.js';

export interface Family {
  readonly name: string;
  /** Builds an input of about `n` bytes. */
  readonly make: (n: number) => Uint8Array;
  readonly parse: (input: Uint8Array) => void;
}

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const asText = (b: Uint8Array) => String.fromCharCode(...b);
const limits = { maxHeadSize: 64 * 1024, maxHeaderCount: 10_000 };

/** Parses a head, then validates it; handshake errors are expected outcomes. */
function headAndValidate(input: Uint8Array): void {
  try {
    const parsed = parseRequestHead(input, limits);
    if (parsed.complete) {
      const client = validateRequest(parsed.head);
      negotiateDeflate(client.extensions, DEFAULT_SERVER_DEFLATE_POLICY);
    }
  } catch (error) {
    if (!(error instanceof HandshakeError)) throw error;
  }
}

function extensions(input: Uint8Array): void {
  try {
    negotiateDeflate(parseExtensionHeader(asText(input)), DEFAULT_SERVER_DEFLATE_POLICY);
  } catch (error) {
    if (!(error instanceof HandshakeError)) throw error;
  }
}

const REQUEST = (extra: string) =>
  latin1(
    'GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
      `${extra}\r\n`,
  );

function repeat(unit: string, n: number): string {
  return unit.repeat(Math.max(1, Math.floor(n / unit.length)));
}

function connectionFeed(chunkSize: number) {
  return (input: Uint8Array) => {
    drive(
      newConnection({ role: 'server', maxMessageSize: 1 << 20 }),
      chunkBy(input, [chunkSize]),
      false,
    );
  };
}

export const FAMILIES: readonly Family[] = [
  {
    name: 'request target ending in %',
    make: (n) => latin1(`GET /${repeat('a', n)}% HTTP/1.1\r\nHost: a\r\n\r\n`),
    parse: headAndValidate,
  },
  {
    name: 'header value of spaces and tabs',
    make: (n) => REQUEST(`X: a${repeat(' \t', n)}b\r\n`),
    parse: headAndValidate,
  },
  {
    name: 'many one-letter headers',
    make: (n) => REQUEST(repeat('a:b\r\n', n)),
    parse: headAndValidate,
  },
  {
    name: 'Connection header of many tokens',
    make: (n) => REQUEST(`Connection: ${repeat('x, ', n)}Upgrade\r\n`),
    parse: headAndValidate,
  },
  {
    name: 'Sec-WebSocket-Protocol of many tokens',
    make: (n) => REQUEST(`Sec-WebSocket-Protocol: ${repeat('p,', n)}q\r\n`),
    parse: headAndValidate,
  },
  {
    name: 'head without its end, bare CRs',
    make: (n) => latin1(`GET / HTTP/1.1\r\nX: ${repeat('\r', n)}`),
    parse: headAndValidate,
  },
  {
    name: 'response head of many headers',
    make: (n) => latin1(`HTTP/1.1 101 OK\r\n${repeat('a: b\r\n', n)}\r\n`),
    parse: (input) => {
      try {
        parseResponseHead(input, limits);
      } catch (error) {
        if (!(error instanceof HandshakeError)) throw error;
      }
    },
  },
  {
    name: 'extension params a;b;c...',
    make: (n) => latin1(`permessage-deflate${repeat('; a', n)}`),
    parse: extensions,
  },
  {
    name: 'quoted string of escapes',
    make: (n) => latin1(`x; a="${repeat('\\a', n)}"`),
    parse: extensions,
  },
  {
    name: 'unterminated quoted string',
    make: (n) => latin1(`x; a="${repeat('b', n)}`),
    parse: extensions,
  },
  {
    name: 'empty list elements',
    make: (n) => latin1(`${repeat(' ,', n)}x`),
    parse: extensions,
  },
  {
    name: 'many permessage-deflate offers',
    make: (n) => latin1(repeat('permessage-deflate; server_max_window_bits=8, ', n)),
    parse: extensions,
  },
  {
    name: 'tiny frames, whole',
    make: (n) =>
      concat(
        Array.from({ length: n >> 3 }, () => peerFrame('server', { opcode: 10, payload: '' })),
      ),
    parse: connectionFeed(1 << 20),
  },
  {
    name: 'one-byte fragments of one message, byte by byte',
    make: (n) =>
      concat([
        peerFrame('server', { opcode: 1, fin: false, payload: 'a' }),
        ...Array.from({ length: n >> 3 }, () =>
          peerFrame('server', { opcode: 0, fin: false, payload: 'é' }),
        ),
        peerFrame('server', { opcode: 0, payload: 'z' }),
      ]),
    parse: connectionFeed(1),
  },
  {
    name: 'one large text frame in 3-byte reads',
    make: (n) => peerFrame('server', { opcode: 1, payload: repeat('你', n) }),
    parse: connectionFeed(3),
  },
];

/** The name under which {@link measureInChild} also reports a quadratic control. */
export const CONTROL = '(control) a quadratic loop';

export interface Measured {
  readonly small: number;
  readonly large: number;
}

/** Steps for 4 KiB and 16 KiB inputs of a family (in this process: see the module comment). */
export function measure(family: Family): Measured {
  family.parse(family.make(1024)); // compile, and take the one-time paths, outside the count
  const [smallInput, largeInput] = [family.make(4096), family.make(16384)];
  const small = countSteps(() => family.parse(smallInput));
  const large = countSteps(() => family.parse(largeInput));
  return { small, large };
}

/** Fails when a family's steps grew worse than linearly from 4 KiB to 16 KiB. */
export function checkGrowth(name: string, { small, large }: Measured): void {
  check(small > 0, `${name}: no steps counted (is the library under packages/wsx/src?)`);
  check(large <= small * 4 * 1.5, `${name}: ${small} steps at 4 KiB, ${large} at 16 KiB`);
}

const MEASURE_SCRIPT = fileURLToPath(new URL('./measure-steps.ts', import.meta.url));

/** Every family measured in a child Node started with `--max-opt=1`: exact block counts. */
export function measureInChild(): Record<string, Measured> {
  const child = spawnSync(process.execPath, ['--max-opt=1', '--import', 'tsx', MEASURE_SCRIPT], {
    encoding: 'utf8',
    env: { ...process.env, NODE_TEST_CONTEXT: undefined },
  });
  if (child.status !== 0) throw new Error(`measuring steps failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as Record<string, Measured>;
}
