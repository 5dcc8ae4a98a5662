// Command-line options of run.mjs.
import { SCENARIOS } from '../scenarios/index.mjs';
import { SERVERS } from '../servers/index.mjs';

export const USAGE = `usage: npm run bench -- [options]
  --quick              short windows, one repetition, smaller connection counts (a smoke run)
  --only <ids>         comma-separated scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}
  --servers <names>    comma-separated servers: ${Object.keys(SERVERS).join(', ')}, wsx-dedicated, wsx-h2,
                       ws-addons-shared
  --reps <n>           repetitions of each measurement (default 3; --quick: 1)
  --before <git ref>   also run wsx as built from that commit, beside the current one
  --out <dir>          where to write latest.{md,json,svg} (default bench/results; runs with
                       --quick, --only or --servers go to bench/results/tmp unless --out is given)`;

export function parseOptions(argv) {
  const options = { quick: false, only: null, servers: null, reps: null, out: null, before: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value\n${USAGE}`);
      return argv[++i];
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--only') options.only = value().split(',');
    else if (arg === '--servers') options.servers = value().split(',');
    else if (arg === '--reps') options.reps = Number(value());
    else if (arg === '--out') options.out = value();
    else if (arg === '--before') options.before = value();
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  const ids = new Set(SCENARIOS.map((s) => s.id));
  for (const id of options.only ?? []) {
    if (!ids.has(id)) throw new Error(`unknown scenario '${id}'\n${USAGE}`);
  }
  const names = new Set([...Object.keys(SERVERS), 'wsx-dedicated', 'ws-addons-shared', 'wsx-h2']);
  for (const name of options.servers ?? []) {
    if (!names.has(name)) throw new Error(`unknown server '${name}'\n${USAGE}`);
  }
  options.reps ??= options.quick ? 1 : 3;
  if (!(Number.isInteger(options.reps) && options.reps >= 1)) throw new Error('--reps is >= 1');
  const partial =
    options.quick || options.only !== null || options.servers !== null || options.before !== null;
  options.out ??= new URL(partial ? '../results/tmp/' : '../results/', import.meta.url).pathname;
  return options;
}
