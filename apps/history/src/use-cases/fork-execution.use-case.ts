import {
  type CreateExecutionRequest,
  type Execution,
  type HistoryForkRequest,
  Subjects,
} from '@canopy/contracts';
import { AppError } from '@canopy/service-kit';
import { NatsRequestError, type TracedNats } from '@canopy/telemetry';
import type { HistoryQueries } from './history-queries.use-case';

/**
 * Time travel: a new execution whose tree and version, exec-scope blackboard and node state
 * (the engine checkpoint) are those after `fromTick` of another one. History rebuilds that state
 * and asks the runners to create the execution from it (`fork` of CreateExecutionRequest); the new
 * execution's next tick is `fromTick + 1`. Team and global scopes are shared with other
 * executions and are not rewound.
 */
export class ForkExecutionUseCase {
  constructor(
    private readonly queries: HistoryQueries,
    private readonly nats: TracedNats,
    private readonly timeoutMs: number,
  ) {}

  /** The create request a fork sends. */
  private async request(req: HistoryForkRequest): Promise<CreateExecutionRequest> {
    const state = await this.queries.state(req.id, req.fromTick);
    const create: CreateExecutionRequest = {
      tree: state.tree,
      version: state.version,
      blackboard: state.blackboard.exec ?? {},
      mode: req.mode,
      fork: {
        from: req.id,
        fromTick: req.fromTick,
        checkpoint: state.checkpoint,
        status: state.status,
      },
    };
    if (req.newId !== undefined) create.id = req.newId;
    if (req.team !== undefined) create.team = req.team;
    if (req.intervalMs !== undefined) create.intervalMs = req.intervalMs;
    if (req.maxTicks !== undefined) create.maxTicks = req.maxTicks;
    return create;
  }

  async execute(req: HistoryForkRequest): Promise<Execution> {
    const create = await this.request(req);
    try {
      return await this.nats.request<Execution>(Subjects.execCreate, create, {
        timeoutMs: this.timeoutMs,
      });
    } catch (error) {
      if (!(error instanceof NatsRequestError)) throw error;
      if (error.failure === 'remote') throw AppError.fromBody(error.toBody());
      throw new AppError(
        'DEPENDENCY_UNAVAILABLE',
        `cannot create the fork: ${error.message}`,
        undefined,
        {},
        {
          cause: error,
        },
      );
    }
  }
}
