import type { Breakpoint, Command, DebugView, ErrorBody, PausedAt, Watch } from '@canopy/contracts';
import type { Status } from '@canopy/engine';
import type { Step } from './stand-in-runners';

/** Where a condition or key fails to compile, as the engine reports it. */
export type CompileError = { message: string; line: number; column: number };

const refuse = (error: ErrorBody['error']): Step => ({ error });

/**
 * The debugger half of an owning runner, answering the debugger's commands with the replies and
 * error bodies of the contracts (CommandReplies, errors.ts): it keeps breakpoints and watches,
 * knows the tree's node ids, refuses the conditions and keys it is told do not compile, and steps
 * through a script of stops. Use `answer` as a StandInRunners step.
 */
export class StandInDebugger {
  readonly breakpoints: Breakpoint[] = [];
  readonly watches: Watch[] = [];
  private pausedAt?: PausedAt;
  /** Where each further step stops; a step with none left runs on (not paused). */
  private stops: PausedAt[] = [];
  private ids = 0;

  constructor(
    private readonly statuses: Record<string, Status>,
    private readonly blackboard: DebugView['blackboard'],
    private readonly badSources: Record<string, CompileError> = {},
  ) {}

  /** Paused at `at`; the steps that follow stop at `stops`, in turn. */
  pause(at: PausedAt, stops: PausedAt[] = []): void {
    this.pausedAt = at;
    this.stops = [...stops];
  }

  view(): DebugView {
    return {
      paused: this.pausedAt !== undefined,
      ...(this.pausedAt && { pausedAt: this.pausedAt }),
      statuses: this.statuses,
      blackboard: this.blackboard,
      locals: [],
      breakpoints: [...this.breakpoints],
      watches: [...this.watches],
    };
  }

  readonly answer = (command: Command): Step => {
    switch (command.type) {
      case 'debug':
        return { reply: this.view() };
      case 'breakpoint.add': {
        const { breakpoint } = command;
        if (!(breakpoint.nodeId in this.statuses)) {
          return refuse({
            code: 'UNKNOWN_NODE',
            message: `no node ${breakpoint.nodeId} in tree patrol`,
          });
        }
        const bad = this.compile(breakpoint.condition);
        if (bad) return bad;
        const added: Breakpoint = { id: `bp-${++this.ids}`, ...breakpoint };
        this.breakpoints.push(added);
        return { reply: added };
      }
      case 'breakpoint.remove': {
        const removed = this.breakpoints.filter((b) => b.nodeId === command.nodeId);
        this.breakpoints.splice(
          0,
          Infinity,
          ...this.breakpoints.filter((b) => !removed.includes(b)),
        );
        return { reply: { removed } };
      }
      case 'watch.add': {
        const { key, condition } = command.watch;
        const bad = this.compile(key) ?? this.compile(condition);
        if (bad) return bad;
        const added: Watch = { id: `w-${++this.ids}`, key, ...(condition && { condition }) };
        this.watches.push(added);
        return { reply: added };
      }
      case 'watch.remove': {
        const index = this.watches.findIndex((w) => w.id === command.watchId);
        if (index < 0) {
          return refuse({ code: 'WATCH_NOT_FOUND', message: `no watch ${command.watchId}` });
        }
        return { reply: { removed: this.watches.splice(index, 1)[0] } };
      }
      case 'step':
        if (!this.pausedAt) {
          return refuse({ code: 'EXECUTION_NOT_PAUSED', message: 'execution is not paused' });
        }
        this.pausedAt = this.stops.shift();
        return { reply: this.view() };
      default:
        return refuse({ code: 'INTERNAL', message: `not a debugger command: ${command.type}` });
    }
  };

  private compile(source: string | undefined): Step | undefined {
    const bad = source === undefined ? undefined : this.badSources[source];
    return bad && refuse({ code: 'BAD_CONDITION', ...bad });
  }
}
