#!/usr/bin/env node
// Koa for HTTP, wsx for WebSocket on the same port; the WebSocket knows who you are from the
// cookie a Koa route set.
//   PORT=3000 node examples/koa.mjs
//   then GET http://localhost:3000/login?name=ada, and connect to ws://localhost:3000/ws with
//   the cookie it set (a browser on the same origin sends it by itself)
import Koa from 'koa';
import { reject, WebSocketServer } from 'wsx';

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.path === '/login') {
    const name = ctx.query.name;
    if (typeof name !== 'string' || !/^[a-z]{1,32}$/.test(name)) ctx.throw(400, 'name: a-z, 1-32');
    // A stand-in for a real session: sign it (ctx.cookies with app.keys) in an application.
    ctx.cookies.set('user', name, { httpOnly: true, sameSite: 'strict' });
    ctx.body = `hello, ${name}`;
  } else if (ctx.path === '/') {
    ctx.body = 'hello';
  }
});

// app.listen() returns the node:http server Koa handles requests on. Koa only sees requests;
// wsx takes the upgrades to /ws on the same server (404 for other paths).
const server = app.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`listening on http://localhost:${server.address().port}`);
});

const wss = new WebSocketServer({
  server,
  path: '/ws',
  // Koa's middleware does not run for upgrades: read the cookie here, before the 101.
  upgrade(request) {
    const user = request.cookies.user;
    return user === undefined ? reject(401, 'log in at /login first\n') : { user };
  },
  open(ws) {
    ws.send(`welcome, ${ws.data.user}`);
  },
  message(ws, data, isBinary) {
    ws.send(isBinary ? data : `${ws.data.user}: ${data}`, { binary: isBinary });
  },
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await wss.close();
    server.close(() => process.exit(0));
  });
}
