/** `wsx serve`: its options and help. */

import type { CommandSpec } from '../args.js';

export const serveSpec: CommandSpec = {
  name: 'serve',
  summary: 'run a WebSocket server: echo, broadcast, and static files beside it',
  usage: ['serve [options]'],
  description: [
    'Serves WebSockets on every path (or only --path): --echo (the default) sends each message ' +
      'back to its sender, --broadcast sends each message to every client, its sender included. ' +
      'With --static, plain HTTP requests get the files of that directory (index.html for a ' +
      'directory), so a page that opens a WebSocket can be tried in a browser; without it they ' +
      'get 426 Upgrade Required.',
    'The URL it listens on is printed on stdout (one line, e.g. ws://127.0.0.1:8080/); ' +
      'connections, messages (cut to 80 characters) and closes are logged on stderr. SIGINT or ' +
      'SIGTERM closes every connection with 1001 and waits for them (at most 10 s); a second ' +
      'signal exits at once.',
  ],
  groups: [
    {
      title: 'Behaviour',
      options: [
        {
          name: 'echo',
          short: 'e',
          kind: 'flag',
          help: 'send each message back to its sender (the default)',
        },
        {
          name: 'broadcast',
          short: 'b',
          kind: 'flag',
          help: 'send each message to every connected client, the sender included',
        },
        {
          name: 'static',
          short: 's',
          kind: 'value',
          value: '<dir>',
          help: 'serve the files of <dir> to plain HTTP requests (GET and HEAD; dotfiles and paths outside <dir> refused)',
          example: '.',
        },
        {
          name: 'subprotocol',
          short: 'p',
          kind: 'list',
          value: '<name>',
          help: 'accept this subprotocol when a client offers it; repeat for more, preferred first',
          example: 'chat.v1',
        },
        { name: 'quiet', short: 'q', kind: 'flag', help: 'log nothing on stderr' },
      ],
    },
    {
      title: 'Listening',
      options: [
        {
          name: 'port',
          short: 'P',
          kind: 'value',
          value: '<port>',
          help: 'TCP port; 0 picks a free one (default 8080)',
          example: '0',
        },
        {
          name: 'host',
          kind: 'value',
          value: '<address>',
          help: 'interface to listen on (default 127.0.0.1, this machine only; 0.0.0.0 or :: for every interface)',
          example: '127.0.0.1',
        },
        {
          name: 'path',
          kind: 'value',
          value: '<path>',
          help: 'accept WebSockets on this path only (others get 404); default: every path',
          example: '/ws',
        },
        {
          name: 'tls-cert',
          kind: 'value',
          value: '<file>',
          help: 'serve wss:// (and https://) with this certificate (PEM); with --tls-key',
          example: 'server.crt',
        },
        {
          name: 'tls-key',
          kind: 'value',
          value: '<file>',
          help: 'the private key (PEM) of --tls-cert',
          example: 'server.key',
        },
      ],
    },
    {
      title: 'Limits and security',
      options: [
        {
          name: 'compression',
          short: 'z',
          kind: 'flag',
          help: 'accept permessage-deflate when a client offers it (off by default)',
        },
        {
          name: 'max-payload',
          kind: 'value',
          value: '<bytes>',
          help: 'largest message accepted; a larger one closes with 1009 (default 1MiB)',
          example: '16MiB',
        },
        {
          name: 'allowed-origin',
          kind: 'list',
          value: '<origin>',
          help: 'accept browsers from this origin only (others get 403); repeat for more. Clients that send no Origin are accepted',
          example: 'http://localhost:3000',
        },
      ],
    },
  ],
  examples: [
    'wsx serve                                   # echo on ws://127.0.0.1:8080/',
    'wsx serve --broadcast --port 9000 --path /chat',
    'wsx serve --static ./public                 # http://127.0.0.1:8080/ and its WebSocket',
    'wsx serve --tls-cert cert.pem --tls-key key.pem --compression',
    'wsx serve --port 0 --quiet > url.txt &      # the URL is the only line on stdout',
  ],
  notes: [
    'Exit status: 0 after a graceful shutdown; 4 when it cannot listen (port in use, address ' +
      'not available); 2 for invalid arguments; 130 a second signal.',
  ],
};
