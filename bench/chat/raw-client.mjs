// A lean WebSocket client for the load generator: the handshake and frame scanning written out,
// so that counting hundreds of thousands of deliveries a second costs a header read and a
// prefix comparison each, not a JSON parse, and the load generator stays off the critical path.
// It speaks both chat protocols the benchmark compares: wsx-chat's chat.v1 and Socket.IO's
// Engine.IO v4 packets.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

const CHAT = {
  message: Buffer.from('{"type":"message"'),
  ack: Buffer.from('{"type":"ack"'),
  welcome: Buffer.from('{"type":"welcome"'),
  error: Buffer.from('{"type":"error"'),
};
const SIO = {
  message: Buffer.from('42["message"'),
  ack: Buffer.from('43'),
  open: Buffer.from('0{'),
  connected: Buffer.from('40'),
  error: Buffer.from('44'),
};

function startsWith(payload, prefix) {
  return (
    payload.length >= prefix.length &&
    payload.compare(prefix, 0, prefix.length, 0, prefix.length) === 0
  );
}

export class RawClient {
  /**
   * @param kind 'wsx-chat' | 'socket.io'
   * @param handlers { onAck(id, payload), onDelivery(), onError(text) }
   */
  constructor(kind, port, token, handlers) {
    this.kind = kind;
    this.port = port;
    this.token = token;
    this.handlers = handlers;
    this.mask = randomBytes(4);
    this.pending = null;
    this.nextId = 1;
  }

  /** Connects, upgrades, signs in; resolves when the client may send. */
  open() {
    return new Promise((resolve, reject) => {
      this.ready = resolve;
      this.fail = reject;
      const socket = connect(this.port, '127.0.0.1');
      this.socket = socket;
      socket.setNoDelay(true);
      socket.on('error', (error) => reject(error));
      socket.on('connect', () => socket.write(this.#request()));
      socket.on('data', (chunk) => this.#data(chunk));
    });
  }

  #request() {
    const key = randomBytes(16).toString('base64');
    const path = this.kind === 'wsx-chat' ? '/ws' : '/socket.io/?EIO=4&transport=websocket';
    const extra =
      this.kind === 'wsx-chat'
        ? `Sec-WebSocket-Protocol: chat.v1\r\nCookie: wsx_chat_session=${this.token}\r\n`
        : '';
    return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:${this.port}\r\n${extra}\r\n`;
  }

  #data(chunk) {
    let buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    if (!this.upgraded) {
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) {
        this.pending = buf;
        return;
      }
      const head = buf.subarray(0, end).toString('latin1');
      if (!head.startsWith('HTTP/1.1 101')) return this.fail(new Error(head.split('\r\n')[0]));
      this.upgraded = true;
      if (this.kind === 'wsx-chat') this.sendText(`{"type":"hello","id":0}`);
      buf = buf.subarray(end + 4);
    }
    let offset = 0;
    while (buf.length - offset >= 2) {
      const b1 = buf[offset + 1] & 0x7f;
      let header = 2;
      let length = b1;
      if (b1 === 126) {
        if (buf.length - offset < 4) break;
        length = buf.readUInt16BE(offset + 2);
        header = 4;
      } else if (b1 === 127) {
        if (buf.length - offset < 10) break;
        length = Number(buf.readBigUInt64BE(offset + 2));
        header = 10;
      }
      if (buf.length - offset < header + length) break;
      this.#frame(buf[offset] & 0x0f, buf.subarray(offset + header, offset + header + length));
      offset += header + length;
    }
    if (offset < buf.length) this.pending = buf.subarray(offset);
  }

  #frame(opcode, payload) {
    if (opcode === 9) return this.#write(0x8a, payload); // ping -> pong
    if (opcode === 8) return this.socket.end();
    if (opcode !== 1) return;
    if (this.kind === 'wsx-chat') this.#chat(payload);
    else this.#sio(payload);
  }

  #chat(payload) {
    if (startsWith(payload, CHAT.message)) return this.handlers.onDelivery();
    if (startsWith(payload, CHAT.ack)) {
      const { id } = JSON.parse(payload.toString());
      return this.handlers.onAck(id);
    }
    if (startsWith(payload, CHAT.welcome)) return this.ready();
    if (startsWith(payload, CHAT.error)) this.handlers.onError(payload.toString());
  }

  #sio(payload) {
    if (startsWith(payload, SIO.message)) return this.handlers.onDelivery();
    if (startsWith(payload, SIO.ack)) {
      const bracket = payload.indexOf(0x5b); // '['
      const body = payload.subarray(bracket).toString();
      if (body.includes('"error"')) this.handlers.onError(body);
      return this.handlers.onAck(Number(payload.subarray(2, bracket).toString()));
    }
    if (payload.length === 1 && payload[0] === 0x32) return this.sendText('3'); // ping -> pong
    if (startsWith(payload, SIO.open))
      return this.sendText(`40${JSON.stringify({ token: this.token })}`);
    if (startsWith(payload, SIO.connected)) return this.ready();
    if (startsWith(payload, SIO.error)) this.fail(new Error(payload.toString()));
  }

  /** Sends one chat message; returns its request id. */
  sendMessage(room, text) {
    const id = this.nextId++;
    const clientMsgId = `${this.token}-${id}`;
    if (this.kind === 'wsx-chat')
      this.sendText(
        `{"type":"send","id":${id},"room":${room},"clientMsgId":"${clientMsgId}","text":${JSON.stringify(text)}}`,
      );
    else
      this.sendText(
        `42${id}["send",{"room":${room},"clientMsgId":"${clientMsgId}","text":${JSON.stringify(text)}}]`,
      );
    return id;
  }

  sendText(text) {
    this.#write(0x81, Buffer.from(text));
  }

  #write(first, payload) {
    const length = payload.length;
    const header = Buffer.allocUnsafe(length < 126 ? 6 : 8);
    header[0] = first;
    if (length < 126) header[1] = 0x80 | length;
    else {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(length, 2);
    }
    this.mask.copy(header, header.length - 4);
    const masked = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) masked[i] = payload[i] ^ this.mask[i & 3];
    this.socket.write(Buffer.concat([header, masked]));
  }

  close() {
    this.socket.destroy();
  }
}
