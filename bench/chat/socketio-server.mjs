// The peer: the same chat behaviour built the way Node developers build it today — Socket.IO 4
// rooms, acknowledgement callbacks, a session token checked in a middleware — on the same
// better-sqlite3 store as wsx-chat (grouped commits, seqs in the transaction). It serves what
// the benchmark exercises: sign-in by session, the user's rooms joined at connection, `send`
// with an ack after commit, and the message to the room.
// Usage: node socketio-server.mjs <port> <dataDir>   (prints {"msg":"listening","url":...})
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { SqliteStore } from 'wsx-chat';

const [port = '0', dataDir = './data'] = process.argv.slice(2);
const store = new SqliteStore({ dataDir });
const http = createServer();
const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  perMessageDeflate: false,
});

io.use((socket, next) => {
  const token = String(socket.handshake.auth?.token ?? '');
  const session = store.findSession(createHash('sha256').update(token).digest('hex'), Date.now());
  if (session === undefined) return next(new Error('unauthorized'));
  socket.data.user = session.user;
  next();
});

io.on('connection', (socket) => {
  const { user } = socket.data;
  const rooms = new Set(store.memberRooms(user.id));
  for (const room of rooms) socket.join(`room:${room}`);
  socket.on('send', async (request, ack) => {
    if (typeof ack !== 'function') return;
    const { room, text, clientMsgId } = request ?? {};
    if (!rooms.has(room)) return ack({ error: 'not_member' });
    if (
      typeof text !== 'string' ||
      text.length === 0 ||
      text.length > 4000 ||
      typeof clientMsgId !== 'string'
    )
      return ack({ error: 'bad_request' });
    try {
      const { message, duplicate } = await store.appendMessage({
        room,
        from: user,
        text: text.normalize('NFC'),
        ts: Date.now(),
        clientMsgId,
      });
      ack({ seq: message.seq, duplicate });
      if (!duplicate) io.to(`room:${room}`).emit('message', message);
    } catch {
      ack({ error: 'internal' });
    }
  });
});

http.listen(Number(port), '127.0.0.1', () => {
  console.log(
    JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${http.address().port}/` }),
  );
});
process.on('SIGTERM', () => {
  io.close();
  store.close().then(() => process.exit(0));
});
