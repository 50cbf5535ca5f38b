import { resolve } from 'node:path';
import {
  ActionFn,
  ActionRegistry,
  type ActionResolver,
  BehaviorTree,
  BuildError,
  buildTree,
  keyProblem,
  ManualClock,
  MemoryBlackboard,
} from '@canopy/engine';
import { llmConfigFromEnv, McpTools, mcpServersFromEnv, parseMcpServers, providerFromEnv, type McpServerConfig } from '@canopy/llm';
import { UsageError } from './args';
import { Io, readSource } from './io';
import { compileFiles, reportErrors } from './load';

/** A tree of a file, built in this process on a virtual clock (`run` and `debug`). */
export interface Embedded {
  tree: BehaviorTree;
  clock: ManualClock;
  blackboard: MemoryBlackboard;
  /** Ends what the run started: its MCP clients (and the processes of stdio servers). */
  close(): Promise<void>;
  /**
   * Between two ticks: at once when no action, tool or model call is in flight; else until one
   * settles, at most `ms` of real time. The clock stays virtual (tick k is at (k - 1) * --tick-ms),
   * but a run no longer spends its ticks before a slow call (a model, a process starting) answers.
   */
  between(ms: number): Promise<void>;
}

export interface EmbedOptions {
  tree?: string;
  /** The execution scope's keys (`--set`). */
  initial: Record<string, unknown>;
  /** `--actions MODULE`. */
  actions?: string;
  /** Load `actions` afresh, not from the module cache (`run --watch` after a save of it). */
  freshActions?: boolean;
  /** `--mcp-servers FILE|JSON`: the MCP servers `(mcp-tool ...)` calls; else CANOPY_MCP_SERVERS. */
  mcpServers?: string;
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
  // `mcp:<server>/<tool>` (what `(mcp-tool ...)` calls) goes to the MCP servers, unless the
  // --actions module has an action of that very name (a stand-in).
  const mcp = new McpTools(mcpServers(io, options.mcpServers), undefined, 'CANOPY_MCP_SERVERS or --mcp-servers');
  const calls = new InFlight();
  const actions = calls.actions(await loadActions(options.actions, options.freshActions, mcp));
  const llm = llmProvider();
  try {
    const tree = buildTree(compiled.documents[0].document, {
      tree: options.tree,
      execId: 'cli',
      clock,
      blackboard,
      actions,
      llm: llm && ((req, ctx) => calls.track(llm(req, ctx))),
    });
    return { tree, clock, blackboard, close: () => mcp.close(), between: (ms) => calls.between(ms) };
  } catch (error) {
    await mcp.close();
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
  fallback?: McpTools,
): Promise<ActionRegistry> {
  const registry = new ActionRegistry(fallback);
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

/**
 * The MCP servers of a run: `--mcp-servers` (a JSON object, or a file holding one) over
 * CANOPY_MCP_SERVERS, in the runner's format (`{"name": {"url": ...} | {"command": ..., "args": [...]}}`).
 */
function mcpServers(io: Io, flag: string | undefined): Record<string, McpServerConfig> {
  try {
    if (flag === undefined) return mcpServersFromEnv();
    const inline = flag.trim().startsWith('{');
    return parseMcpServers(inline ? flag : readSource(io, flag), inline ? '--mcp-servers' : `--mcp-servers ${flag}`);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The async calls a run has in flight, and who waits for one of them to settle. */
class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];

  track<T>(promise: Promise<T>): Promise<T> {
    this.count++;
    const settled = () => {
      this.count--;
      for (const wake of this.waiters.splice(0)) wake();
    };
    promise.then(settled, settled);
    return promise;
  }

  /** Every action the resolver gives, counted while its promise is pending. */
  actions(resolver: ActionResolver): ActionResolver {
    return {
      resolve: (name) => {
        const fn = resolver.resolve(name);
        if (fn === undefined) return undefined;
        return (args, ctx) => {
          const out = fn(args, ctx);
          return out instanceof Promise ? this.track(out) : out;
        };
      },
    };
  }

  async between(ms: number): Promise<void> {
    await new Promise((r) => setImmediate(r));
    if (this.count > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      // The engine queues the outcome in its own callback on the same promise: let it run.
      await new Promise((r) => setImmediate(r));
    }
  }
}
