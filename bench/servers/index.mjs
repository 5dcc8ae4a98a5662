// The servers under test: how to start each one. A variant of a scenario names one of these and
// passes it a config (e.g. { deflate: true }) as argv[3]; the port (0: any free one) is argv[2].
import { findBun } from '../lib/bun.mjs';

const here = (file) => new URL(file, import.meta.url).pathname;
const NODE = (file) => () => [process.execPath, '--expose-gc', here(file)];

export const SERVERS = {
  wsx: { label: 'wsx', command: NODE('wsx.mjs') },
  // wsx built from another commit (--before): the same server file, another wsx (WSX_MODULE).
  'wsx-before': { label: 'wsx (before)', command: NODE('wsx.mjs'), env: {} },
  ws: {
    label: 'ws',
    command: NODE('ws.mjs'),
    // ws's documented switches: ignore bufferutil and utf-8-validate even if installed.
    env: { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' },
  },
  'ws-addons': { label: 'ws + add-ons', command: NODE('ws.mjs'), env: {} },
  bun: {
    label: 'Bun',
    command: () => {
      const bun = findBun();
      if (bun.path === null) throw new Error(bun.reason);
      return [bun.path, here('bun.js')];
    },
  },
  floor: { label: 'Node floor', command: NODE('floor.mjs') },
};

/** The server every ratio is relative to. */
export const BASELINE = 'ws-addons';
