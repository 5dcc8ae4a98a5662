#!/usr/bin/env node
// An interactive client: sends each line of stdin as a text message and prints each reply.
//   node examples/echo-client.mjs ws://localhost:9001
// Exits 0 once stdin ends, every line has had its reply and the connection closed cleanly;
// exits 1 with a one-line message if the connection fails.
import { createInterface } from 'node:readline';
import { connect, HandshakeError } from 'wsx';

const url = process.argv[2] ?? 'ws://localhost:9001';

/** One line saying what went wrong. */
function describe(error) {
  if (error instanceof HandshakeError && error.status > 0) {
    return `the server answered HTTP ${error.status} instead of upgrading to WebSocket`;
  }
  const reasons = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset by the server',
    ENOTFOUND: 'host not found',
    ETIMEDOUT: 'connection timed out',
  };
  return reasons[error.code] ?? error.message;
}

function fail(error) {
  console.error(`echo-client: ${url}: ${describe(error)}`);
  process.exit(1);
}

const ws = await connect(url).catch(fail);
let closedWith = '';
ws.on('close', (code, reason) => {
  closedWith = reason === '' ? `${code}` : `${code} ${reason}`;
});

let awaiting = 0; // lines sent whose reply has not arrived yet
let inputEnded = false;
const input = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
input.on('line', (line) => {
  awaiting++;
  ws.send(line);
});
input.on('close', () => {
  inputEnded = true;
  if (awaiting === 0) ws.close(1000);
});

try {
  // Text arrives as strings. The loop ends when the connection closes normally, and throws
  // (a ConnectionClosedError naming both close frames) when it does not.
  for await (const reply of ws) {
    console.log(reply);
    awaiting--;
    if (inputEnded && awaiting === 0) ws.close(1000);
  }
} catch (error) {
  fail(error);
}
if (!inputEnded || awaiting > 0) {
  const missing = awaiting > 0 ? `, ${awaiting} replies missing` : '';
  fail(new Error(`the server closed the connection (${closedWith})${missing}`));
}
// Done: stdin has ended and the connection is closed, so the process exits (status 0).
