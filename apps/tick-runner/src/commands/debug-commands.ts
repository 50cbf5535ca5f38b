import { randomUUID } from 'node:crypto';
import type {
  Breakpoint,
  CreateBreakpointRequest,
  CreateWatchRequest,
  DebugView,
  RemovedBreakpoints,
  Watch,
} from '@canopy/contracts';
import { DebugError } from '@canopy/engine';
import { AppError } from '@canopy/service-kit';
import type { Execution } from '../executions/execution';
import type { ExecutionHost } from '../ticking/execution-host';
import type { ExecutionCommands } from './execution-commands';

/**
 * Breakpoints and watches of an execution, and its debug view. A change applies between slots
 * and is committed with the execution (the debugger's state in Redis), so a runner that takes the
 * execution over has the same hooks.
 */
export class DebugCommands {
  constructor(
    private readonly host: ExecutionHost,
    private readonly commands: ExecutionCommands,
  ) {}

  async view(id: string, shard: number): Promise<DebugView> {
    return (await this.host.owned(id, shard)).debugView();
  }

  async addBreakpoint(id: string, shard: number, req: CreateBreakpointRequest): Promise<Breakpoint> {
    const bp: Breakpoint = { id: shortId(), ...req };
    await this.change(id, shard, (exec) => exec.debugSession().dbg.setBreakpoint(bp));
    return bp;
  }

  async removeBreakpoints(id: string, shard: number, nodeId: string): Promise<RemovedBreakpoints> {
    let removed: Breakpoint[] = [];
    await this.change(id, shard, (exec) => {
      removed = exec.debugSession().dbg.removeBreakpoints(nodeId);
      return removed.length > 0;
    });
    return { removed };
  }

  async addWatch(id: string, shard: number, req: CreateWatchRequest): Promise<Watch> {
    const watch: Watch = { id: shortId(), ...req };
    await this.change(id, shard, (exec) => exec.debugSession().dbg.setWatch(watch));
    return watch;
  }

  async removeWatch(id: string, shard: number, watchId: string): Promise<{ removed: Watch }> {
    let removed: Watch | undefined;
    await this.change(id, shard, (exec) => {
      removed = exec.debugSession().dbg.removeWatch(watchId);
      if (removed === undefined) throw new AppError('WATCH_NOT_FOUND', `execution ${id} has no watch ${watchId}`);
    });
    return { removed: removed as Watch };
  }

  /**
   * Applies `edit` to the execution's debugger between slots and stores the result; an edit that
   * returns false changed nothing. The engine's own errors become their codes (with the position
   * inside a condition).
   */
  private async change(id: string, shard: number, edit: (exec: Execution) => boolean | void): Promise<void> {
    await this.commands.changeState(id, shard, (exec) => {
      try {
        if (edit(exec) === false) return undefined;
      } catch (error) {
        throw error instanceof DebugError ? fromDebugError(error) : error;
      }
      return { next: exec.meta, debug: exec.debug?.toJson() ?? null };
    });
  }
}

function fromDebugError(error: DebugError): AppError {
  const code = error.code === 'UNKNOWN_NODE' || error.code === 'BAD_CONDITION' ? error.code : 'VALIDATION_FAILED';
  const extras: { line?: number; column?: number } = {};
  if (error.line !== undefined) extras.line = error.line;
  if (error.column !== undefined) extras.column = error.column;
  return new AppError(code, error.message, undefined, extras, { cause: error });
}

/** Ids of breakpoints and watches: short, unique per execution, safe in a URL. */
function shortId(): string {
  return randomUUID().slice(0, 8);
}
