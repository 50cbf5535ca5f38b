/**
 * Engine benchmark, side by side with mistreevous on equivalent trees and with a hand-written walk
 * of the same tree (the floor), in one process.
 *   npm run bench:engine
 * The last line printed is JSON for machines; docs/performance.md records the results.
 */
import { cpus } from 'node:os';
import { compile } from '@canopy/dsl';
import { ActionRegistry, buildTree, MemoryBlackboard, TreeDocument } from '@canopy/engine';
import { BehaviourTree, State } from 'mistreevous';
import { handWrittenTree } from './hand-walk';

/** A root sequence of `selectors` selectors, each of 8 failing conditions and one succeeding action. */
function canopySource(selectors: number): string {
  const selector = `(selector ${'(condition (= $x 1)) '.repeat(8)}(action succeed))`;
  return `(tree "bench" (sequence ${Array.from({ length: selectors }, () => selector).join(' ')}))`;
}

function mdslSource(selectors: number): string {
  const selector = `selector { ${'condition [IsXOne] '.repeat(8)}action [Succeed] }`;
  return `root { sequence { ${Array.from({ length: selectors }, () => selector).join(' ')} } }`;
}

/** Equivalent agent: the condition reads state, the action succeeds. */
function mistreevousAgent() {
  return { x: 0, IsXOne() { return this.x === 1; }, Succeed: () => State.SUCCEEDED };
}

function compileOrThrow(source: string): TreeDocument {
  const { document, errors } = compile(source, { file: 'bench.lisp' });
  if (!document) throw new Error(errors.map((e) => e.message).join('\n'));
  return document;
}

function canopyTree(doc: TreeDocument) {
  const actions = new ActionRegistry();
  actions.register('succeed', () => 'SUCCESS');
  return buildTree(doc, { actions, blackboard: new MemoryBlackboard({ exec: { x: 0 } }) });
}

/** Median of `runs` timed batches, in microseconds per call. */
function timeUs(fn: () => void, iterations: number, runs = 7): number {
  for (let i = 0; i < iterations; i++) fn(); // warm up the JIT
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function tickBench(selectors: number, iterations: number) {
  const canopy = canopyTree(compileOrThrow(canopySource(selectors)));
  const first = canopy.tick();
  if (first.status !== 'SUCCESS') throw new Error(`canopy tree did not succeed: ${first.status}`);
  const mt = new BehaviourTree(mdslSource(selectors), mistreevousAgent());
  mt.step();
  if (mt.getState() !== State.SUCCEEDED) throw new Error('mistreevous tree did not succeed');
  const hand = handWrittenTree(selectors);
  if (hand.nodes !== canopy.nodes.length || hand.tick() !== 1) {
    throw new Error('the hand-written tree is not the benchmark tree');
  }
  const canopyUs = timeUs(() => canopy.tick(), iterations);
  const mistreevousUs = timeUs(() => mt.step(), iterations);
  const handUs = timeUs(() => hand.tick(), iterations);
  return {
    nodes: canopy.nodes.length,
    canopyUs,
    mistreevousUs,
    handUs,
    speedup: mistreevousUs / canopyUs,
    handRatio: canopyUs / handUs,
  };
}

function parseBench(selectors: number, iterations: number) {
  const source = canopySource(selectors);
  const mdsl = mdslSource(selectors);
  const nodes = canopyTree(compileOrThrow(source)).nodes.length;
  const canopyMs = timeUs(() => canopyTree(compileOrThrow(source)), iterations) / 1000;
  const mistreevousMs = timeUs(() => new BehaviourTree(mdsl, mistreevousAgent()), iterations) / 1000;
  return { nodes, canopyMs, mistreevousMs };
}

function main() {
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}`);
  console.log('TickRecord collection: on (engine defaults)\n');
  const t101 = tickBench(10, 20_000);
  const t1000 = tickBench(100, 2_000);
  console.log('tick                     nodes  canopy µs  mistreevous µs  speedup  hand-written µs  canopy/hand');
  for (const [label, r] of [['(a) 10 selectors x 9', t101], ['(b) 1,000-node tree', t1000]] as const) {
    console.log(`${label.padEnd(24)} ${String(r.nodes).padStart(5)}  ${r.canopyUs.toFixed(3).padStart(9)}  ${r.mistreevousUs.toFixed(3).padStart(14)}  ${r.speedup.toFixed(1).padStart(6)}x  ${r.handUs.toFixed(3).padStart(15)}  ${r.handRatio.toFixed(1).padStart(10)}x`);
  }
  // root + N selectors of 9 leaves: 101 and 1,001 nodes.
  const p100 = parseBench(10, 2_000);
  const p1000 = parseBench(100, 200);
  console.log('\nparse+build              nodes  canopy ms  mistreevous ms');
  for (const [label, r] of [['100-node file', p100], ['1,000-node file', p1000]] as const) {
    console.log(`${label.padEnd(24)} ${String(r.nodes).padStart(5)}  ${r.canopyMs.toFixed(4).padStart(9)}  ${r.mistreevousMs.toFixed(4).padStart(14)}`);
  }
  console.log(
    JSON.stringify({
      tickSpeedupVsMistreevous: round(Math.min(t101.speedup, t1000.speedup), 2),
      tickUs101: round(t101.canopyUs),
      tickUs1000: round(t1000.canopyUs),
      parseMs100: round(p100.canopyMs, 4),
      parseMs1000: round(p1000.canopyMs, 4),
      mistreevousTickUs101: round(t101.mistreevousUs),
      mistreevousTickUs1000: round(t1000.mistreevousUs),
      mistreevousParseMs100: round(p100.mistreevousMs, 4),
      handWrittenRatio101: round(t101.handRatio, 2),
      handWrittenRatio1000: round(t1000.handRatio, 2),
      handWrittenTickUs101: round(t101.handUs, 4),
    }),
  );
}

main();
