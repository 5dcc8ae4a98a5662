// Reading a process's own figures from /proc: CPU time (utime + stime, every thread, so zlib's
// thread pool and Bun's helper threads count) and resident memory (VmRSS).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second (`getconf CLK_TCK`), 100 on every Linux seen; read once. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time the process has used so far (user + system, all threads), in microseconds. */
export function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) may contain spaces: split after its closing parenthesis.
  // Fields from there: state (3) ... utime (14), stime (15).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
}

/** Resident set size in KiB (`VmRSS` in /proc/<pid>/status). */
export function rssKiB(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** The executable's name (`/proc/<pid>/comm`), to check the PID is the server, not a wrapper. */
export function commandName(pid) {
  return readFileSync(`/proc/${pid}/comm`, 'latin1').trim();
}

/** The whole machine's CPU time so far (/proc/stat, all CPUs), in microseconds: busy and stolen. */
export function machineMicros() {
  const fields = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.slice(1).map(Number);
  const tick = 1e6 / CLK_TCK;
  return { busy: (user + nice + system + irq + softirq) * tick, steal: steal * tick };
}

/**
 * A CPU meter over a window: the server's CPU (from /proc), our own (process.cpuUsage), and
 * what the rest of the machine did meanwhile (`otherCpuPct`: other processes, or the kernel's
 * own threads; `stealPct`: time the hypervisor gave to other guests), which tells a window
 * disturbed by something else on a shared machine.
 */
export function cpuWindow(pid) {
  const t0 = process.hrtime.bigint();
  const server0 = cpuMicros(pid);
  const own0 = process.cpuUsage();
  const machine0 = machineMicros();
  return () => {
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const server = cpuMicros(pid) - server0;
    const own = process.cpuUsage(own0);
    const machine = machineMicros();
    const pct = (us) => (100 * us) / (seconds * 1e6);
    const load = own.user + own.system;
    return {
      seconds,
      serverCpuUs: server,
      serverCpuPct: pct(server),
      loadCpuPct: pct(load),
      otherCpuPct: Math.max(0, pct(machine.busy - machine0.busy - server - load)),
      stealPct: pct(machine.steal - machine0.steal),
    };
  };
}
