/**
 * `wsx connect` in a real terminal: tmux (Debian's `tmux`) runs it in a pane, the test types
 * with `send-keys` and reads the screen with `capture-pane`. Each test has its own tmux server
 * (`-L`), killed when the test ends.
 */

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, it, type TestContext } from 'node:test';
import { eventually } from '../helpers/eventually.js';
import { startServer } from '../helpers/net.js';
import { requireSystemPackage } from '../helpers/system-package.js';
import { silentPeerServer, WSX } from './helpers.js';

const TMUX = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
const TIMEOUT = { timeout: 30_000 };
let sessions = 0;

/** A terminal running one command, through its own tmux server. */
class Terminal {
  readonly #socket = `wsx-test-${process.pid}-${++sessions}`;

  constructor(t: TestContext, command: string) {
    this.#tmux(
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-s',
      'main',
      '-x',
      '160',
      '-y',
      '45',
      command,
    );
    t.after(() => {
      spawnSync('tmux', ['-L', this.#socket, 'kill-server'], { stdio: 'ignore' });
    });
  }

  #tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.#socket, ...args], { encoding: 'utf8' });
  }

  /** Types `text` literally, then the keys (`Enter`, `Up`, `C-c`, ...). */
  type(text: string, ...keys: string[]): void {
    if (text !== '') this.#tmux('send-keys', '-t', 'main', '-l', text);
    if (keys.length > 0) this.#tmux('send-keys', '-t', 'main', ...keys);
  }

  screen(): string {
    return this.#tmux('capture-pane', '-p', '-t', 'main');
  }

  /** Waits until the screen matches `pattern` (or shows it `times` times). */
  async waitFor(pattern: RegExp, times = 1, ms = 8000): Promise<string> {
    const global = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}gm`);
    const deadline = Date.now() + ms;
    for (;;) {
      const screen = this.screen();
      if ((screen.match(global)?.length ?? 0) >= times) return screen;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${pattern} x${times}; the screen:\n${screen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** `wsx connect <args>` in a terminal; the pane prints `[exit N]` when it ends. */
function connectIn(t: TestContext, args: string): Terminal {
  const command = `env -u NODE_TEST_CONTEXT ${JSON.stringify(process.execPath)} ${JSON.stringify(WSX)} connect ${args}; echo "[exit $?]"; sleep 60`;
  return new Terminal(t, command);
}

/** The last non-empty line of the screen: where the prompt is. */
const promptLine = (screen: string): string => screen.trimEnd().split('\n').at(-1) ?? '';

describe('wsx connect in a terminal', TIMEOUT, () => {
  it('sends typed lines, shows replies with their time, runs slash commands, keeps history', async (t) => {
    if (!requireSystemPackage(t, TMUX, 'tmux')) return;
    const { url } = await startServer(t, {
      open: (ws) => ws.send('welcome'),
      message(ws, data, isBinary) {
        if (!isBinary && data.toString() === 'push later') {
          setTimeout(() => ws.send('pushed'), 300);
        } else {
          ws.send(data, { binary: isBinary });
        }
      },
    });
    const term = connectIn(t, url);
    await term.waitFor(/connected to ws:\/\/127\.0\.0\.1:\d+\//);
    await term.waitFor(/^\d\d:\d\d:\d\d\.\d{3} < welcome$/);
    await term.waitFor(/^> ?$/);

    term.type('hello 你好', 'Enter');
    await term.waitFor(/^\d\d:\d\d:\d\d\.\d{3} < hello 你好$/);

    term.type('/ping abc', 'Enter');
    await term.waitFor(/< pong "abc" \([\d.]+ ms\)$/);
    term.type('/binary 00ff10', 'Enter');
    await term.waitFor(/< \[binary, 3 bytes\] 00 ff 10$/);
    term.type('//slash', 'Enter');
    await term.waitFor(/< \/slash$/);
    term.type('/nope', 'Enter');
    await term.waitFor(/^unknown command \/nope \(\/help lists them\)$/);

    // History: Up twice recalls '/binary 00ff10' (after '//slash'... '/nope' is the last).
    term.type('', 'Up', 'Up', 'Up', 'Enter');
    await term.waitFor(/< \[binary, 3 bytes\] 00 ff 10$/, 2);
    // Line editing: the cursor moves back and the insertion lands in the middle.
    term.type('helo', 'Left');
    term.type('l', 'Enter');
    await term.waitFor(/< hello$/);

    // A message arriving while a line is being typed is printed above it; the line survives.
    term.type('push later', 'Enter');
    term.type('half a li');
    const screen = await term.waitFor(/< pushed$/);
    assert.equal(promptLine(screen), '> half a li');
    term.type('ne', 'Enter');
    await term.waitFor(/< half a line$/);

    term.type('', 'C-c');
    await term.waitFor(/closing \(Ctrl\+C again to exit at once\)/);
    await term.waitFor(/closed 1000 \(normal closure\)/);
    await term.waitFor(/^\[exit 0\]$/);
  });

  it('/close sends the code and reason; the exit status follows the close', async (t) => {
    if (!requireSystemPackage(t, TMUX, 'tmux')) return;
    const closes: [number, string][] = [];
    const { url } = await startServer(t, {
      close: (_ws, code, reason) => closes.push([code, reason]),
    });
    const term = connectIn(t, url);
    await term.waitFor(/^> ?$/);
    term.type('/close 4001 done here', 'Enter');
    await term.waitFor(/closed 4001 \(application code\)$/); // the code the server echoed
    await term.waitFor(/^\[exit 9\]$/);
    // The server reports the close once its socket is gone, which may follow the client's exit.
    await eventually(() => closes.length > 0, 'the server to see the close');
    assert.deepEqual(closes, [[4001, 'done here']]);
  });

  it('--no-input listens without a prompt, one line per message', async (t) => {
    if (!requireSystemPackage(t, TMUX, 'tmux')) return;
    const { url } = await startServer(t, {
      open(ws) {
        ws.send('one');
        ws.send('two');
        ws.close(1000);
      },
    });
    const term = connectIn(t, `--no-input ${url}`);
    const screen = await term.waitFor(/^\[exit 0\]$/);
    assert.match(screen, /^one\ntwo\n/m);
    assert.doesNotMatch(screen, /^> /m);
  });

  it('a second Ctrl+C exits at once when the server does not answer the close (130)', async (t) => {
    if (!requireSystemPackage(t, TMUX, 'tmux')) return;
    const port = await silentPeerServer(t);
    const term = connectIn(t, `ws://127.0.0.1:${port}/`);
    await term.waitFor(/^> ?$/);
    term.type('', 'C-c');
    await term.waitFor(/closing \(Ctrl\+C again to exit at once\)/);
    term.type('', 'C-c');
    await term.waitFor(/^\[exit 130\]$/);
  });

  it('shows the handshake with --show-headers, and a refused one as a one-line error', async (t) => {
    if (!requireSystemPackage(t, TMUX, 'tmux')) return;
    const { url } = await startServer(t, { path: '/ws' });
    const term = connectIn(t, `--show-headers ${url}/ws`);
    await term.waitFor(/^> GET \/ws HTTP\/1\.1$/);
    await term.waitFor(/^< HTTP\/1\.1 101 Switching Protocols$/);
    term.type('', 'C-d');
    await term.waitFor(/^\[exit 0\]$/);
    const refused = connectIn(t, `${url}/other`);
    await refused.waitFor(
      /^wsx: the server answered 404 Not Found instead of 101 Switching Protocols/,
    );
    await refused.waitFor(/hint: check the path in the URL/);
    await refused.waitFor(/^\[exit 7\]$/);
  });
});
