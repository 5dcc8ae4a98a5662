/**
 * wsx: a WebSocket toolkit for Node.js. RFC 6455 from scratch, server and client, no runtime
 * dependencies. The sans-I/O protocol core is also available on its own as `wsx/core`.
 */

export * from './core/index.js';
