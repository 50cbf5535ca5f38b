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

/** What one phase measured and found. Times in ms; `undefined` (null in JSON) = not before its deadline. */
export interface PhaseReport {
  /** Short name (`kill-runner`). */
  phase: string;
  /** What the phase does, as the test is named. */
  title: string;
  /** Named durations and spreads (ms). */
  timings: Record<string, number | Spread | undefined | null>;
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

const ms = (v: number | undefined | null) =>
  v === undefined || v === null ? 'never' : `${(v / 1000).toFixed(2)} s`;

function show(value: number | Spread | undefined | null): string {
  if (value === undefined || value === null || typeof value === 'number') return ms(value);
  if (value.n === 0) return 'n=0';
  return `p50 ${ms(value.p50)}, max ${ms(value.max)} (n=${value.n})`;
}

/** The measures that go into docs/reliability.md: failover, recoveries, handover, REST answers. */
const HEADLINE = /^(failover|recovery|history|handover):|^REST /;

/** One line per headline measure, then one verdict per phase. */
export function formatHeadline(report: RunReport): string {
  const lines = ['measure'.padEnd(64) + 'value'];
  for (const p of report.phases) {
    const rows: Array<[string, string]> = [
      ...Object.entries(p.timings).map(([name, v]): [string, string] => [name, show(v)]),
      ...Object.entries(p.counts).map(([name, v]): [string, string] => [
        name,
        typeof v === 'number' ? String(v) : JSON.stringify(v),
      ]),
    ];
    for (const [name, value] of rows.filter(([name]) => HEADLINE.test(name)))
      lines.push(`${`${p.phase}: ${name}`.padEnd(64)}${value}`);
  }
  lines.push('');
  for (const p of report.phases)
    lines.push(
      `${p.phase.padEnd(16)}${p.problems.length === 0 ? 'invariants held' : `${p.problems.length} violation(s)`}  (${p.title})`,
    );
  return lines.join('\n');
}

/** The summary as text: the headline, then one block per phase with every measure and problem. */
export function formatReport(report: RunReport): string {
  const lines = [
    `chaos run ${report.startedAt} (${report.machine.cpus} CPUs, node ${report.machine.node})`,
  ];
  lines.push(
    `load: ${Object.entries(report.load)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
  );
  lines.push('', formatHeadline(report));
  for (const p of report.phases) {
    lines.push(
      '',
      `== ${p.phase} (${p.title}): ${p.problems.length === 0 ? 'invariants held' : `${p.problems.length} invariant violation(s)`}`,
    );
    for (const [name, value] of Object.entries(p.timings))
      lines.push(`   ${name.padEnd(44)} ${show(value)}`);
    for (const [name, value] of Object.entries(p.counts)) {
      lines.push(
        `   ${name.padEnd(44)} ${typeof value === 'number' ? value : JSON.stringify(value)}`,
      );
    }
    for (const note of p.notes) lines.push(`   note: ${note}`);
    for (const problem of p.problems.slice(0, 25)) lines.push(`   ✗ ${problem}`);
    if (p.problems.length > 25) lines.push(`   ✗ ... and ${p.problems.length - 25} more`);
  }
  return lines.join('\n');
}

export function writeReport(path: string, report: RunReport): void {
  mkdirSync(dirname(path), { recursive: true });
  // A measure that never happened is `undefined`, which JSON would drop: it is written as null.
  writeFileSync(
    path,
    `${JSON.stringify(report, (_key, value: unknown) => (value === undefined ? null : value), 2)}\n`,
  );
}
