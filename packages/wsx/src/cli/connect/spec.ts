/** `wsx connect`: its options and help. */

import type { CommandSpec } from '../args.js';

export const connectSpec: CommandSpec = {
  name: 'connect',
  summary: 'open a WebSocket: interactive in a terminal, one message per line when piped',
  usage: ['connect [options] <url>'],
  description: [
    'In a terminal, wsx connect shows a prompt: each line you type is sent as a text message, ' +
      'received messages are printed with their time (binary ones as a hex preview), and ' +
      '/ping [data], /close [code [reason]], /binary <hex> and /help are commands (start a ' +
      'message with // to send a line that begins with /). Up and down recall earlier lines. ' +
      'Ctrl+C closes with 1000; a second Ctrl+C exits at once.',
    'When stdin is not a terminal, each line of stdin is a text message and each message ' +
      'received is one line of stdout (binary ones as hex, unless --binary). At the end of ' +
      'stdin the connection is closed with 1000 (after the replies the server sends before its ' +
      'close frame). Status lines and errors go to stderr.',
    '<url> is ws://, wss://, http:// or https:// (taken as ws:// and wss://), or ws+unix:<socket ' +
      'path>:<request path>. user:password@ in the URL is sent as --auth. HTTP_PROXY, ' +
      'HTTPS_PROXY and NO_PROXY apply unless --proxy is given.',
  ],
  groups: [
    {
      title: 'Input and output',
      options: [
        {
          name: 'binary',
          short: 'b',
          kind: 'flag',
          help: 'send stdin as binary messages (one per chunk read) and write messages received raw, with no newline',
        },
        {
          name: 'once',
          short: '1',
          kind: 'flag',
          help: 'send one message (the first line of stdin; with --binary, all of stdin), print the first message received, close and exit',
        },
        {
          name: 'no-input',
          short: 'n',
          kind: 'flag',
          help: 'send nothing: only print what arrives, until the connection closes',
        },
        {
          name: 'keep-open',
          kind: 'flag',
          help: 'at the end of stdin, keep listening until the server closes (or Ctrl+C)',
        },
        {
          name: 'json',
          short: 'j',
          kind: 'flag',
          help: 'pretty-print text messages that are JSON objects or arrays',
        },
        {
          name: 'show-headers',
          short: 'v',
          kind: 'flag',
          help: 'print the opening handshake both ways: the request sent (>) and the response (<)',
        },
        {
          name: 'quiet',
          short: 'q',
          kind: 'flag',
          help: 'no status lines (connected, closed); errors are still printed',
        },
      ],
    },
    {
      title: 'Handshake',
      options: [
        {
          name: 'header',
          short: 'H',
          kind: 'list',
          value: '<name: value>',
          help: 'an extra request header; repeat for more',
          example: 'X-Trace: 42',
        },
        {
          name: 'subprotocol',
          short: 'p',
          kind: 'list',
          value: '<name>',
          help: 'offer a subprotocol; repeat for more, most preferred first. The connection fails (exit 7) if the server accepts none',
          example: 'chat.v1',
        },
        {
          name: 'origin',
          short: 'o',
          kind: 'value',
          value: '<origin>',
          help: 'the Origin header, as a browser would send it (https://app.example.com)',
          example: 'https://app.example.com',
        },
        {
          name: 'auth',
          short: 'a',
          kind: 'value',
          value: '<user:password>',
          help: 'HTTP Basic credentials (an Authorization header)',
          example: 'ada:secret',
        },
        {
          name: 'no-compression',
          kind: 'flag',
          help: 'do not offer permessage-deflate (offered by default, as browsers do)',
        },
        {
          name: 'follow-redirects',
          short: 'L',
          kind: 'flag',
          help: 'follow 301/302/303/307/308 redirects (at most 10; never from wss: to ws:)',
        },
        {
          name: 'timeout',
          short: 't',
          kind: 'value',
          value: '<seconds>',
          help: 'time allowed for the whole opening: TCP, TLS, proxy, handshake (default 10)',
          example: '5',
        },
      ],
    },
    {
      title: 'TLS and proxy',
      options: [
        {
          name: 'ca',
          kind: 'value',
          value: '<file>',
          help: 'trust the CA certificate(s) in this PEM file (a private or development CA)',
          example: 'ca.crt',
        },
        {
          name: 'cert',
          kind: 'value',
          value: '<file>',
          help: 'client certificate (PEM), for servers that ask for one; with --key',
          example: 'client.crt',
        },
        {
          name: 'key',
          kind: 'value',
          value: '<file>',
          help: 'the private key (PEM) of --cert',
          example: 'client.key',
        },
        {
          name: 'insecure',
          short: 'k',
          kind: 'flag',
          help: 'accept any server certificate: for testing only',
        },
        {
          name: 'proxy',
          short: 'x',
          kind: 'value',
          value: '<url>',
          help: 'tunnel through this HTTP(S) proxy with CONNECT (http://user:password@host:port)',
          example: 'http://proxy.example:3128',
        },
      ],
    },
    {
      title: 'Connection',
      options: [
        {
          name: 'max-payload',
          kind: 'value',
          value: '<bytes>',
          help: 'largest message accepted; a larger one closes with 1009 (default 1MiB)',
          example: '16MiB',
        },
        {
          name: 'ping-interval',
          kind: 'value',
          value: '<seconds>',
          help: 'ping the server after this long without traffic, and drop it if it stays silent as long again; 0: never (default 30)',
          example: '15',
        },
        {
          name: 'reconnect',
          short: 'r',
          kind: 'flag',
          help: 'reconnect after a drop, with backoff from 0.5 s to 30 s, until a normal close or Ctrl+C',
        },
      ],
    },
  ],
  examples: [
    'wsx connect ws://localhost:8080                      # interactive',
    'echo \'{"op":"ping"}\' | wsx connect --once wss://example.com/api',
    'wsx connect -p chat.v1 -H "Authorization: Bearer $TOKEN" wss://example.com/chat',
    'wsx connect --binary ws://localhost:8080 < request.bin > reply.bin',
    'wsx connect --no-input --json wss://example.com/feed | jq .price',
    'wsx connect --ca dev-ca.crt --show-headers wss://localhost:8443',
  ],
  notes: [
    'Exit status: 0 after a normal close (1000, 1001, 1005); 3 DNS, 4 network, 5 TLS, 6 proxy, ' +
      '7 handshake refused, 8 dropped without a close frame (1006) or a protocol error, 9 closed ' +
      'with an error code, 2 invalid arguments, 130 a second Ctrl+C (see wsx --help).',
  ],
};
