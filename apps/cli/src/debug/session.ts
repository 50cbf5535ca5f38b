import {
  DebugError,
  type DebugBreakpoint,
  type Debugger,
  type DebugOutcome,
  type NodeInfo,
  type StepMode,
} from '@canopy/engine';
import type { Embedded } from '../embedded';
import type { Io } from '../io';
import { renderTree } from '../render';
import { Command, CommandError, HELP, parseCommand } from './commands';
import {
  ConditionError,
  formatBreakpoint,
  formatError,
  formatOutcome,
  formatPause,
  formatView,
  formatWatch,
  Names,
  node,
  value,
} from './format';

/** A debugger on an embedded tree, driven one command line at a time. */
export class DebugSession {
  /** Set by `quit`: the caller stops reading. */
  done = false;
  private readonly dbg: Debugger;
  private readonly names: Names;
  private readonly specs = new Map<string, DebugBreakpoint>();
  private nextBreakpoint = 1;
  private nextWatch = 1;

  constructor(
    private readonly embedded: Embedded,
    private readonly tickMs: number,
    private readonly io: Io,
  ) {
    this.dbg = embedded.tree.debug();
    const nodes = new Map<string, NodeInfo>(embedded.tree.nodes.map((n) => [n.id, n]));
    this.names = { nodes, breakpoints: this.specs };
  }

  /** Runs one line; false when it failed (the message is printed and the session goes on). */
  async line(text: string): Promise<boolean> {
    try {
      const command = parseCommand(text);
      if (command !== undefined) await this.execute(command);
      return true;
    } catch (error) {
      this.print(formatError(error));
      return false;
    }
  }

  /** Drops a paused tick and halts the tree, as leaving any run does. */
  close(): void {
    this.embedded.tree.halt();
  }

  private async execute(c: Command): Promise<void> {
    switch (c.kind) {
      case 'break':
      case 'replace':
        return this.addBreakpoint(c);
      case 'delete':
        return this.delete(c.target);
      case 'enable':
      case 'disable':
        return this.enable(c.target, c.kind === 'enable');
      case 'watch':
        return this.watch(c.key, c.condition);
      case 'unwatch':
        if (this.dbg.removeWatch(c.id) === undefined)
          throw new CommandError(`no watch '${c.id}' (see 'info')`);
        return this.print([`deleted ${c.id}`]);
      case 'step':
        await this.step(c.mode);
        return;
      case 'tick':
        for (let i = 0; i < c.count; i++)
          if ((await this.step('continue')).kind === 'paused') return;
        return;
      case 'print':
        return this.print([`${c.key} = ${value(withText(c.key, () => this.dbg.read(c.key)))}`]);
      case 'bb':
        return this.print(formatView(this.dbg.view()));
      case 'tree':
        return this.tree();
      case 'info':
        return this.info();
      case 'where':
        return this.where();
      case 'help':
        return this.print([HELP]);
      case 'quit':
        this.done = true;
        return;
    }
  }

  private async step(mode: StepMode): Promise<DebugOutcome> {
    const { tree, clock } = this.embedded;
    // A step between ticks begins the next one, at the time `canopy run` would give it.
    if (this.dbg.paused === undefined) clock.set(tree.tickCount * this.tickMs);
    const outcome = this.dbg.step(mode);
    this.print(formatOutcome(this.names, outcome));
    // Async actions settle on the event loop between ticks, as they would in a runner.
    if (outcome.kind === 'completed') await this.embedded.between(this.tickMs);
    return outcome;
  }

  private addBreakpoint(c: Extract<Command, { kind: 'break' | 'replace' }>): void {
    const bp: DebugBreakpoint = {
      id: `b${this.nextBreakpoint}`,
      nodeId: c.nodeId,
      when: c.kind === 'break' ? c.when : 'before',
      mode: c.kind,
      once: c.once,
      enabled: true,
    };
    if (c.kind === 'replace') bp.status = c.status;
    if (c.condition !== undefined) bp.condition = c.condition;
    withText(c.condition ?? '', () => this.dbg.setBreakpoint(bp));
    this.nextBreakpoint++;
    this.specs.set(bp.id, bp);
    this.print([formatBreakpoint(this.names, bp)]);
  }

  private watch(key: string, condition: string | undefined): void {
    // The key first, so a bad one is pointed at in the key rather than in the condition.
    withText(key, () => this.dbg.read(key));
    const w = { id: `w${this.nextWatch}`, key, ...(condition === undefined ? {} : { condition }) };
    withText(condition ?? '', () => this.dbg.setWatch(w));
    this.nextWatch++;
    this.print([formatWatch(w)]);
  }

  /** A node id, else a breakpoint id, else a watch id; nothing: every hook. */
  private delete(target: string | undefined): void {
    if (target === undefined) {
      const bps = this.dbg.breakpoints();
      for (const nodeId of new Set(bps.map((b) => b.nodeId))) this.dbg.removeBreakpoints(nodeId);
      const watches = this.dbg.watches();
      for (const w of watches) this.dbg.removeWatch(w.id);
      return this.print([
        `deleted ${plural(bps.length, 'breakpoint')} and ${plural(watches.length, 'watch')}`,
      ]);
    }
    if (this.names.nodes.has(target)) {
      const removed = this.dbg.removeBreakpoints(target).map((b) => b.id);
      return this.print([
        removed.length === 0
          ? `no breakpoints on ${node(this.names, target)}`
          : `deleted ${removed.join(', ')}`,
      ]);
    }
    const bp = this.dbg.breakpoints().find((b) => b.id === target);
    if (bp !== undefined) {
      // The debugger removes a node's hooks together: the others on the node go back.
      for (const other of this.dbg.removeBreakpoints(bp.nodeId))
        if (other.id !== bp.id) this.dbg.setBreakpoint(other);
      return this.print([`deleted ${target}`]);
    }
    if (this.dbg.removeWatch(target) !== undefined) return this.print([`deleted ${target}`]);
    throw new CommandError(`no node, breakpoint or watch '${target}' (see 'tree' and 'info')`);
  }

  private enable(target: string, enabled: boolean): void {
    const bps = this.dbg.breakpoints().filter((b) => b.id === target || b.nodeId === target);
    if (bps.length === 0)
      throw new CommandError(
        `no breakpoint '${target}' and none on a node '${target}' (see 'info')`,
      );
    for (const bp of bps) {
      this.dbg.setBreakpoint({ ...bp, enabled });
      this.specs.set(bp.id, { ...bp, enabled });
    }
    this.print([`${enabled ? 'enabled' : 'disabled'} ${bps.map((b) => b.id).join(', ')}`]);
  }

  private tree(): void {
    const at = this.dbg.paused;
    const marked =
      at?.nodeId === undefined ? undefined : { nodeId: at.nodeId, note: `paused ${at.when}` };
    this.print([
      renderTree(this.embedded.tree, this.io.color, { statuses: this.dbg.view().statuses, marked }),
    ]);
  }

  private info(): void {
    const lines = [
      // In the order they were set: enabling or disabling one re-sets it in the debugger.
      ...this.dbg
        .breakpoints()
        .sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)))
        .map((b) => formatBreakpoint(this.names, b)),
      ...this.dbg.watches().map(formatWatch),
    ];
    this.print(lines.length === 0 ? ['no breakpoints or watches'] : lines);
  }

  private where(): void {
    const at = this.dbg.paused;
    if (at !== undefined) return this.print([formatPause(this.names, at)]);
    const next = this.embedded.tree.tickCount + 1;
    this.print([`not paused; tick ${next} is next, at t=${(next - 1) * this.tickMs}ms`]);
  }

  private print(lines: string[]): void {
    for (const l of lines) this.io.out(`${l}\n`);
  }
}

/** Runs `f`; a bad condition it throws is pointed at in `text`. */
function withText<T>(text: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DebugError && e.code === 'BAD_CONDITION') throw new ConditionError(e, text);
    throw e;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : word.endsWith('h') ? 'es' : 's'}`;
}
