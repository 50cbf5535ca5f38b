import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Nearest-rank percentile of `values` (undefined for none). */
export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface Spread {
  n: number;
  p50?: number;
  max?: number;
}

export function spread(values: number[]): Spread {
  return { n: values.length, p50: percentile(values, 50), max: percentile(values, 100) };
}

/** What one phase measured and found. Times in ms; `undefined` = did not happen before its deadline. */
export interface PhaseReport {
  phase: string;
  /** Named durations and spreads (ms). */
  timings: Record<string, number | Spread | undefined>;
  /** Counts (REST answers by status, executions affected...). */
  counts: Record<string, number | Record<string, number>>;
  /** Invariants broken in this phase (empty: all held). */
  problems: string[];
  notes: string[];
}

export interface RunReport {
  startedAt: string;
  finishedAt?: string;
  machine: { cpus: number; node: string; loadavg: number[] };
  load: Record<string, number | string>;
  phases: PhaseReport[];
}

const ms = (v: number | undefined) => (v === undefined ? 'never' : `${(v / 1000).toFixed(2)} s`);

function show(value: number | Spread | undefined): string {
  if (value === undefined || typeof value === 'number') return ms(value);
  if (value.n === 0) return 'n=0';
  return `p50 ${ms(value.p50)}, max ${ms(value.max)} (n=${value.n})`;
}

/** The summary as text: one block per phase. */
export function formatReport(report: RunReport): string {
  const lines = [`chaos run ${report.startedAt} (${report.machine.cpus} CPUs, node ${report.machine.node})`];
  lines.push(`load: ${Object.entries(report.load).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  for (const p of report.phases) {
    lines.push('', `== ${p.phase}: ${p.problems.length === 0 ? 'invariants held' : `${p.problems.length} invariant violation(s)`}`);
    for (const [name, value] of Object.entries(p.timings)) lines.push(`   ${name.padEnd(44)} ${show(value)}`);
    for (const [name, value] of Object.entries(p.counts)) {
      lines.push(`   ${name.padEnd(44)} ${typeof value === 'number' ? value : JSON.stringify(value)}`);
    }
    for (const note of p.notes) lines.push(`   note: ${note}`);
    for (const problem of p.problems.slice(0, 25)) lines.push(`   ✗ ${problem}`);
    if (p.problems.length > 25) lines.push(`   ✗ ... and ${p.problems.length - 25} more`);
  }
  return lines.join('\n');
}

export function writeReport(path: string, report: RunReport): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
