/**
 * Every option that `wsx <command> --help` and docs/cli.md document exists, and parses with a
 * sample value through the same code the binary runs; the help, the docs and the declarations
 * (src/cli/<command>/spec.ts) list the same options.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type CommandSpec, type OptionSpec, optionsOf, parseCommand } from '../../src/cli/args.js';
import { benchSettings } from '../../src/cli/bench/settings.js';
import { benchSpec } from '../../src/cli/bench/spec.js';
import { connectSettings } from '../../src/cli/connect/settings.js';
import { connectSpec } from '../../src/cli/connect/spec.js';
import { serveSettings } from '../../src/cli/serve/command.js';
import { serveSpec } from '../../src/cli/serve/spec.js';
import { FIXTURES, wsx } from './helpers.js';

const DOCS = readFileSync(new URL('../../../../docs/cli.md', import.meta.url), 'utf8');

interface Command {
  readonly spec: CommandSpec;
  /** Turns parsed options into the command's settings (what the binary does before running). */
  readonly settle: (argv: readonly string[]) => unknown;
  /** A URL or nothing, to complete a command line. */
  readonly positional: readonly string[];
  /** Options some options need beside them. */
  readonly context: Readonly<Record<string, readonly string[]>>;
}

const FILES: Readonly<Record<string, string>> = {
  ca: `${FIXTURES}ca.crt`,
  cert: `${FIXTURES}server.crt`,
  key: `${FIXTURES}server.key`,
  'tls-cert': `${FIXTURES}server.crt`,
  'tls-key': `${FIXTURES}server.key`,
};

const COMMANDS: readonly Command[] = [
  {
    spec: connectSpec,
    settle: (argv) => connectSettings(parseCommand(connectSpec, argv)),
    positional: ['ws://127.0.0.1:9/'],
    context: {},
  },
  {
    spec: serveSpec,
    settle: (argv) => serveSettings(parseCommand(serveSpec, argv)),
    positional: [],
    context: { 'tls-cert': ['--tls-key', FILES.key!], 'tls-key': ['--tls-cert', FILES.cert!] },
  },
  {
    spec: benchSpec,
    settle: (argv) => benchSettings(parseCommand(benchSpec, argv)),
    positional: ['ws://127.0.0.1:9/'],
    context: { senders: ['--mode', 'publish', '-c', '8'] },
  },
];

/** The command line that sets `option` (by its long or short name) to its sample value. */
function argsFor(command: Command, option: OptionSpec, name: string): string[] {
  const value = option.kind === 'flag' ? [] : [FILES[option.name] ?? option.example ?? 'x'];
  return [...(command.context[option.name] ?? []), name, ...value, ...command.positional];
}

/** The `--options` named in a help text's option lines. */
function optionsInHelp(help: string): Set<string> {
  const names = new Set<string>();
  for (const line of help.split('\n')) {
    const match = /^ {2}(?:-\S, |\s{4})--([a-z0-9-]+)/.exec(line);
    if (match !== null) names.add(match[1]!);
  }
  return names;
}

/** The `--options` in docs/cli.md's section for `command` (from its `## wsx <command>` heading). */
function optionsInDocs(command: string): Set<string> {
  const start = DOCS.indexOf(`\n## wsx ${command}`);
  assert.ok(start >= 0, `docs/cli.md has no '## wsx ${command}' section`);
  const end = DOCS.indexOf('\n## ', start + 1);
  const section = DOCS.slice(start, end < 0 ? undefined : end);
  const names = new Set<string>();
  for (const match of section.matchAll(/^- `(?:-\S, )?--([a-z0-9-]+)/gm)) names.add(match[1]!);
  return names;
}

describe('documented options', () => {
  for (const command of COMMANDS) {
    const name = command.spec.name;
    const declared = new Set(optionsOf(command.spec).map((o) => o.name));

    it(`wsx ${name} --help lists every option, and only those`, async () => {
      const run = await wsx([name, '--help']);
      assert.equal(run.code, 0);
      assert.deepEqual(optionsInHelp(run.stdout.toString()), declared);
    });

    it(`docs/cli.md documents every option of wsx ${name}, and only those`, () => {
      const documented = optionsInDocs(name);
      declared.delete('help');
      assert.deepEqual(documented, declared);
    });

    for (const option of optionsOf(command.spec).filter((o) => o.name !== 'help')) {
      it(`wsx ${name} --${option.name}${option.short ? ` (-${option.short})` : ''} parses`, () => {
        for (const spelling of [
          `--${option.name}`,
          ...(option.short ? [`-${option.short}`] : []),
        ]) {
          const parsed = parseCommand(command.spec, argsFor(command, option, spelling));
          const value = parsed.values[option.name];
          assert.ok(value !== undefined, `${spelling} was not recognised`);
          assert.doesNotThrow(() => command.settle(argsFor(command, option, spelling)));
        }
      });
    }
  }

  it('wsx --help lists the commands and the exit status table', async () => {
    const run = await wsx(['--help']);
    const help = run.stdout.toString();
    for (const command of COMMANDS)
      assert.match(help, new RegExp(`^ {2}${command.spec.name} `, 'm'));
    assert.match(help, /^ {4}7 {2}the server refused the WebSocket handshake/m);
    const version = await wsx(['--version']);
    assert.match(version.stdout.toString(), /^\d+\.\d+\.\d+\n$/);
    const none = await wsx([]);
    assert.equal(none.code, 2, 'no command is a usage error');
    const unknown = await wsx(['conect']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'conect'/);
  });
});
