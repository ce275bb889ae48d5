/**
 * Memory and CPU time of the stack's processes from /proc (Linux). CPU: user + system time of
 * each process (all its threads) from /proc/<pid>/stat, between start() and finish(), which
 * shows which process the run kept busy. Memory: VmHWM is the kernel's own peak resident
 * set of a process, worker threads included (the annotator runs its engine in worker threads
 * of the same process). A process's children (tsx's esbuild service, anything a service spawns)
 * are not in its VmHWM, so the sampler also adds up VmRSS over each process tree once a second
 * and keeps the largest sum; a tree stops at the other measured processes (the stack process is
 * the parent of the services, which are measured on their own).
 */
import { readdirSync, readFileSync } from 'node:fs';

function statusField(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined; // gone, or not Linux
  }
}

/** User + system CPU time of one process (all threads), seconds; the clock tick is 1/100 s on Linux. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The pid and every descendant of it, not descending into `others` (measured on their own). */
function processTree(pid: number, others: ReadonlySet<number>): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    const parent = tree[i]!;
    if (parent !== pid && others.has(parent)) continue;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        const children = readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8').trim();
        if (children) tree.push(...children.split(/\s+/).map(Number));
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return tree;
}

export interface ProcessMemory {
  name: string;
  pid: number;
  /** VmHWM of the process itself, bytes (read at the end). */
  peakResidentBytes?: number;
  /** Largest sampled sum of VmRSS over the process and its descendants, bytes. */
  peakTreeResidentBytes?: number;
  /** The last sampled tree sum, bytes. */
  lastTreeResidentBytes?: number;
  /** CPU seconds (user + system) of the process between start() and finish(). */
  cpuSeconds?: number;
}

export class ProcessSampler {
  readonly #processes: ProcessMemory[];
  readonly #cpuAtStart = new Map<number, number>();
  #timer: NodeJS.Timeout | undefined;

  constructor(processes: Array<{ name: string; pid: number }>) {
    this.#processes = processes.map((p) => ({ ...p }));
  }

  sample(): void {
    for (const process of this.#processes) {
      let sum = 0;
      let seen = false;
      const others = new Set(this.#processes.map((p) => p.pid));
      for (const pid of processTree(process.pid, others).filter((p) => p === process.pid || !others.has(p))) {
        const rss = statusField(pid, 'VmRSS');
        if (rss !== undefined) {
          sum += rss;
          seen = true;
        }
      }
      if (!seen) continue;
      process.lastTreeResidentBytes = sum;
      process.peakTreeResidentBytes = Math.max(process.peakTreeResidentBytes ?? 0, sum);
    }
  }

  start(intervalMs = 1000): void {
    for (const { pid } of this.#processes) this.#cpuAtStart.set(pid, cpuSeconds(pid) ?? 0);
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  /** Stops sampling and reads each process's VmHWM and CPU time. */
  finish(): ProcessMemory[] {
    clearInterval(this.#timer);
    this.sample();
    for (const process of this.#processes) {
      process.peakResidentBytes = statusField(process.pid, 'VmHWM');
      const cpu = cpuSeconds(process.pid);
      if (cpu !== undefined) process.cpuSeconds = cpu - (this.#cpuAtStart.get(process.pid) ?? 0);
    }
    return this.#processes.map((p) => ({ ...p }));
  }
}
