import { resolve } from 'node:path';
import {
  ActionFn,
  ActionRegistry,
  BehaviorTree,
  BuildError,
  buildTree,
  keyProblem,
  ManualClock,
  MemoryBlackboard,
} from '@canopy/engine';
import { llmConfigFromEnv, providerFromEnv } from '@canopy/llm';
import { UsageError } from './args';
import { Io } from './io';
import { compileFiles, reportErrors } from './load';

/** A tree of a file, built in this process on a virtual clock (`run` and `debug`). */
export interface Embedded {
  tree: BehaviorTree;
  clock: ManualClock;
  blackboard: MemoryBlackboard;
}

export interface EmbedOptions {
  tree?: string;
  /** The execution scope's keys (`--set`). */
  initial: Record<string, unknown>;
  /** `--actions MODULE`. */
  actions?: string;
  /** Load `actions` afresh, not from the module cache (`run --watch` after a save of it). */
  freshActions?: boolean;
}

/** Undefined when the file does not compile: its errors are reported, the caller exits 2. */
export async function embed(
  io: Io,
  file: string,
  options: EmbedOptions,
): Promise<Embedded | undefined> {
  const compiled = compileFiles(io, [file]);
  if (compiled.errors.length > 0) {
    reportErrors(io, compiled.errors);
    return undefined;
  }
  const clock = new ManualClock(0);
  const blackboard = new MemoryBlackboard({ exec: options.initial });
  const actions = await loadActions(options.actions, options.freshActions);
  try {
    const tree = buildTree(compiled.documents[0].document, {
      tree: options.tree,
      execId: 'cli',
      clock,
      blackboard,
      actions,
      llm: llmProvider(),
    });
    return { tree, clock, blackboard };
  } catch (error) {
    // `--tree nope`, an action the module does not have: bad input, exit 2 like a compile error.
    if (!(error instanceof BuildError)) throw error;
    io.err(`${file}: ${error.message}\n`);
    return undefined;
  }
}

/** `--set key=JSON`; a value that is not JSON is taken as a string, as a shell user expects. */
export function parseSets(values: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects KEY=JSON, got '${item}'`);
    const key = item.slice(0, eq);
    // The rule the stack applies to initial blackboards: a key no tree could read is refused.
    const problem = keyProblem(key, false);
    if (problem !== undefined) throw new UsageError(`--set: the key '${key}' ${problem}`);
    const raw = item.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    out[key] = value;
  }
  return out;
}

/** `--actions MODULE`: a CommonJS/TS module exporting `{ name: fn }` (or a default export of it). */
export async function loadActions(
  modulePath: string | undefined,
  fresh = false,
): Promise<ActionRegistry> {
  const registry = new ActionRegistry();
  if (modulePath === undefined) return registry;
  let loaded: Record<string, unknown>;
  try {
    // The CLI runs as CommonJS: dropping the cached module makes the import read the file again.
    if (fresh) delete require.cache[require.resolve(resolve(modulePath))];
    loaded = (await import(resolve(modulePath))) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(
      `--actions: cannot load ${modulePath}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const table = (loaded['default'] ?? loaded) as Record<string, unknown>;
  for (const [name, fn] of Object.entries(table)) {
    if (typeof fn === 'function') registry.register(name, fn as ActionFn);
  }
  return registry;
}

/** `(llm-call ...)` through the provider the environment names (CANOPY_LLM_PROVIDER...), if any. */
function llmProvider() {
  try {
    return providerFromEnv(llmConfigFromEnv());
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
