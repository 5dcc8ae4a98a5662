/** `wsx bench`: its options and help. */

import type { CommandSpec } from '../args.js';

export const benchSpec: CommandSpec = {
  name: 'bench',
  summary: 'load a WebSocket server: throughput and latency percentiles',
  usage: ['bench [options] <url>'],
  description: [
    'Opens --connections connections (at most --connect-rate per second), then sends for ' +
      '--duration (or until --messages are answered) and prints a summary: connections opened ' +
      'and failed, messages sent and received, throughput, latency percentiles (p50, p90, p99, ' +
      'p99.9, max, from a histogram with 0.1 % resolution) and errors by kind. Progress shows on ' +
      'stderr when it is a terminal.',
    'echo mode: every connection sends and expects each message back (wsx serve --echo). ' +
      'Closed loop by default: --concurrency messages in flight per connection, latency from ' +
      'send to reply. --rate makes it open loop: messages go out at that rate whatever the ' +
      'replies do, and latency counts from when each message was due, so a stalled server shows ' +
      'in the percentiles (no coordinated omission).',
    'publish mode: --senders connections send, every connection receives what the server ' +
      'fans out (wsx serve --broadcast, which also sends it back to the sender): deliveries per ' +
      'second, and latency from publish to each receipt (stamped in the message, so it works ' +
      'across --processes).',
    'Frames are built once and sent as they are. With --processes N, the connections (and ' +
      'senders and rate) are split over N processes and their histograms merged. Pin the load ' +
      'with taskset, away from the server, when measuring on one machine.',
  ],
  groups: [
    {
      title: 'Load',
      options: [
        {
          name: 'mode',
          short: 'm',
          kind: 'value',
          value: '<echo|publish>',
          help: 'echo (default): each connection gets its messages back; publish: senders publish, everyone receives',
          example: 'publish',
        },
        {
          name: 'connections',
          short: 'c',
          kind: 'value',
          value: '<n>',
          help: 'connections to open (default 10)',
          example: '100',
        },
        {
          name: 'concurrency',
          short: 'C',
          kind: 'value',
          value: '<n>',
          help: 'closed loop: messages in flight per sending connection (default 1)',
          example: '32',
        },
        {
          name: 'rate',
          short: 'R',
          kind: 'value',
          value: '<msgs/s>',
          help: 'open loop: send this many messages per second in all, spread over the sending connections',
          example: '50000',
        },
        {
          name: 'senders',
          kind: 'value',
          value: '<n>',
          help: 'publish mode: how many of the connections send (default 1)',
          example: '4',
        },
        {
          name: 'size',
          short: 's',
          kind: 'value',
          value: '<bytes>',
          help: 'message size (default 64; publish mode needs at least 16: a time stamp and the sender)',
          example: '16KiB',
        },
        { name: 'binary', short: 'b', kind: 'flag', help: 'binary messages (default: text)' },
        {
          name: 'duration',
          short: 'd',
          kind: 'value',
          value: '<time>',
          help: 'how long to send: 10, 30s, 500ms, 2m (default 10s)',
          example: '5s',
        },
        {
          name: 'warmup',
          short: 'w',
          kind: 'value',
          value: '<time>',
          help: 'send this long first without counting or timing it (JIT, caches, connection ramp); default 0',
          example: '1s',
        },
        {
          name: 'messages',
          short: 'n',
          kind: 'value',
          value: '<n>',
          help: 'send this many messages in all (after the warm-up), then stop once they are answered (instead of --duration)',
          example: '100000',
        },
        {
          name: 'connect-rate',
          kind: 'value',
          value: '<n/s>',
          help: 'open at most this many connections per second (default 2000)',
          example: '500',
        },
        {
          name: 'processes',
          kind: 'value',
          value: '<n>',
          help: 'spread the connections over n processes (default 1)',
          example: '2',
        },
      ],
    },
    {
      title: 'Handshake and TLS',
      options: [
        {
          name: 'header',
          short: 'H',
          kind: 'list',
          value: '<name: value>',
          help: 'an extra request header; repeat for more',
          example: 'Authorization: Bearer t0k3n',
        },
        {
          name: 'subprotocol',
          short: 'p',
          kind: 'list',
          value: '<name>',
          help: 'offer a subprotocol; repeat for more',
          example: 'chat.v1',
        },
        {
          name: 'origin',
          short: 'o',
          kind: 'value',
          value: '<origin>',
          help: 'the Origin header',
          example: 'https://app.example.com',
        },
        {
          name: 'timeout',
          short: 't',
          kind: 'value',
          value: '<seconds>',
          help: 'time allowed for each connection to open (default 10)',
          example: '5',
        },
        {
          name: 'ca',
          kind: 'value',
          value: '<file>',
          help: 'trust the CA certificate(s) in this PEM file',
          example: 'ca.crt',
        },
        {
          name: 'insecure',
          short: 'k',
          kind: 'flag',
          help: 'accept any server certificate: for testing only',
        },
      ],
    },
    {
      title: 'Output',
      options: [
        { name: 'json', short: 'j', kind: 'flag', help: 'write the summary as JSON on stdout' },
        { name: 'quiet', short: 'q', kind: 'flag', help: 'no progress line on stderr' },
      ],
    },
  ],
  examples: [
    'wsx bench ws://127.0.0.1:8080                         # 10 connections, 1 in flight, 10 s',
    'wsx bench -c 100 -C 32 -d 30s ws://127.0.0.1:8080     # echo, 3,200 in flight',
    'wsx bench -c 100 --rate 50000 ws://127.0.0.1:8080     # open loop, 50k msg/s',
    'wsx bench --mode publish -c 1000 -C 64 ws://127.0.0.1:8080/chat',
    'taskset -c 1 wsx bench -c 200 -C 16 --processes 2 --json ws://10.0.0.5:8080 > result.json',
  ],
  notes: [
    'Without compression (permessage-deflate is not offered), over ws:// or wss:// (no proxy). ' +
      'Exit status: 0 when every connection opened and every message was answered; 10 when the ' +
      'run finished with errors (in the summary); 3-7 when no connection could be opened (as for ' +
      'wsx connect); 2 for invalid arguments.',
  ],
};
