import { trace } from '@opentelemetry/api';

/** The runner's tracer: spans `tick` (per tick), `commit` and `publish` (its children), `command`. */
export const tracer = trace.getTracer('@canopy/tick-runner');

export const SpanAttrs = {
  execId: 'canopy.exec.id',
  tick: 'canopy.tick',
  status: 'canopy.status',
  shard: 'canopy.shard',
  batch: 'canopy.batch.size',
} as const;
