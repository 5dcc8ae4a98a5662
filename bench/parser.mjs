#!/usr/bin/env node
// Micro-benchmark of the sans-I/O receive path (frame parser + validation + message events):
// frames parsed per second and MB/s for 16 B, 1 KiB and 1 MiB payloads, masked (what a server
// reads) and unmasked (what a client reads). Input is fed in 64 KiB reads, like a socket.
// Then the core's share of a server handshake: parse a browser-like request head, validate it,
// write the 101 (accept key included), in µs per handshake.
// Numbers, never pass/fail. Usage: npm run bench:parser [-- --seconds 1]
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { Connection, formatAcceptResponse, parseRequestHead, validateRequest } from 'wsx/core';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 1;
const READ = 64 * 1024;

function frame(payloadSize, masked, opcode) {
  const header = [];
  header.push(0x80 | opcode);
  const maskBit = masked ? 0x80 : 0;
  if (payloadSize < 126) header.push(maskBit | payloadSize);
  else if (payloadSize < 65536) header.push(maskBit | 126, payloadSize >> 8, payloadSize & 0xff);
  else
    header.push(
      maskBit | 127,
      0,
      0,
      0,
      0,
      (payloadSize >>> 24) & 0xff,
      (payloadSize >>> 16) & 0xff,
      (payloadSize >>> 8) & 0xff,
      payloadSize & 0xff,
    );
  if (masked) header.push(0x12, 0x34, 0x56, 0x78);
  const out = Buffer.alloc(header.length + payloadSize, 0x61);
  Buffer.from(header).copy(out);
  if (masked)
    for (let i = 0; i < payloadSize; i++) out[header.length + i] ^= [0x12, 0x34, 0x56, 0x78][i % 4];
  return out;
}

function run(payloadSize, masked, opcode) {
  const one = frame(payloadSize, masked, opcode);
  const perStream = Math.max(1, Math.floor((4 * 1024 * 1024) / one.length));
  const stream = Buffer.concat(Array.from({ length: perStream }, () => one));
  const pristine = Buffer.from(stream);
  const reads = [];
  for (let at = 0; at < stream.length; at += READ) reads.push(stream.subarray(at, at + READ));
  const role = masked ? 'server' : 'client';
  const options = { role, isUtf8, maxMessageSize: 2 * 1024 * 1024, random: (b) => b.fill(1) };
  let frames = 0;
  let elapsedNs = 0n;
  const budget = BigInt(Math.round(seconds * 1e9));
  while (elapsedNs < budget) {
    // Masked payloads are unmasked in place: restore the input between passes, off the clock.
    if (masked) pristine.copy(stream);
    const start = process.hrtime.bigint();
    const conn = new Connection(options);
    for (const r of reads) {
      conn.receiveData(r);
      frames += conn.eventsReceived().length;
    }
    elapsedNs += process.hrtime.bigint() - start;
  }
  const elapsed = Number(elapsedNs) / 1e9;
  return { frames: frames / elapsed, mbps: (frames * payloadSize) / elapsed / 1e6 };
}

const rows = [];
for (const size of [16, 1024, 1024 * 1024]) {
  for (const masked of [true, false]) {
    for (const [kind, opcode] of [
      ['binary', 2],
      ['text', 1],
    ]) {
      run(size, masked, opcode); // warm-up
      const r = run(size, masked, opcode);
      rows.push({
        payload: size >= 1024 * 1024 ? '1 MiB' : size >= 1024 ? '1 KiB' : `${size} B`,
        masked,
        kind,
        ...r,
      });
    }
  }
}

/** A request head as Chromium sends it; each with its own key, as real handshakes have. */
function requestHead(key) {
  return Buffer.from(
    'GET /chat HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nConnection: Upgrade\r\nPragma: no-cache\r\n' +
      'Cache-Control: no-cache\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0.0.0\r\n' +
      'Upgrade: websocket\r\nOrigin: http://127.0.0.1:9001\r\nSec-WebSocket-Version: 13\r\n' +
      'Accept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\n' +
      `Sec-WebSocket-Key: ${key}\r\n` +
      'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n',
    'latin1',
  );
}

function handshakes() {
  const heads = Array.from({ length: 1024 }, () => requestHead(randomBytes(16).toString('base64')));
  let count = 0;
  let length = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() - start < budget) {
    for (const bytes of heads) {
      const parsed = parseRequestHead(bytes);
      const request = validateRequest(parsed.head);
      length += formatAcceptResponse({ key: request.key }).length;
    }
    count += heads.length;
  }
  if (length === 0) throw new Error('no response written');
  return Number(process.hrtime.bigint() - start) / 1e3 / count;
}

handshakes(); // warm-up
const handshakeUs = handshakes();

console.log(
  `wsx parser micro-benchmark (node ${process.version}, ${seconds}s per row, 64 KiB reads)\n`,
);
console.log('| payload | masked | type | frames/s | MB/s |');
console.log('|---|---|---|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.payload} | ${r.masked ? 'yes' : 'no'} | ${r.kind} | ${Math.round(r.frames).toLocaleString('en-US')} | ${r.mbps.toFixed(0)} |`,
  );
}
console.log(
  `\nServer handshake in the core (parse the head, validate, write the 101): ${handshakeUs.toFixed(2)} µs`,
);
