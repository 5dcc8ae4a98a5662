// A TCP proxy in a process of its own, between one chat node and Redis: stopping it (SIGSTOP)
// cuts that node off from Redis the way a network partition does (connections stay open,
// nothing goes through), while the other nodes keep talking to Redis; SIGCONT heals it.
// Usage: node tcp-proxy.mjs <target port>; prints the port it listens on (127.0.0.1).
import { connect, createServer } from 'node:net';

const target = Number(process.argv[2]);
const server = createServer((client) => {
  const upstream = connect(target, '127.0.0.1');
  client.pipe(upstream).on('error', () => client.destroy());
  upstream.pipe(client).on('error', () => upstream.destroy());
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
