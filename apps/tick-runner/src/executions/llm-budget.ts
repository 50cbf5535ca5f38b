import { RedisKeys } from '@canopy/contracts';
import { LlmError, type LlmProvider, type LlmRequest, type LlmResult, type TickRecord } from '@canopy/engine';
import type { Redis } from 'ioredis';
import type { Log } from '../log';
import type { ExecMeta } from './execution-meta';

/** Tokens (input + output) of the llm-calls that finished in a tick. */
export function tokensOf(record: TickRecord): number {
  let n = 0;
  for (const u of record.llm ?? []) n += u.inputTokens + u.outputTokens;
  return n;
}

/**
 * Token budgets of llm-calls, checked before each call: the execution's (`llmBudget.tokens` at
 * create) and the team's (TEAM_LLM_TOKEN_BUDGET, against a Redis counter shared by all runners).
 * Tokens count when a call's answer arrives, before any tick sees it, so a call started in the
 * same tick as the one that spent the budget is refused too. A spent budget fails the call with
 * BUDGET_EXCEEDED; calls already running finish, so a budget can be overshot by what they use.
 */
export class LlmBudgets {
  constructor(
    private readonly redis: Redis,
    private readonly log: Log,
    /** Tokens one team's executions may use in all; undefined: no team budget. */
    readonly teamTokens: number | undefined,
  ) {}

  /**
   * The provider of an execution loaded with `loaded`: fills in its `llm` defaults and checks both
   * budgets. The execution's count starts from the tokens its committed ticks recorded (a new
   * owner calls again what was in flight, and counts it again: it is paid again). The team's
   * counter is read and added to inside the call's promise: the tick never waits on Redis.
   */
  guard(provider: LlmProvider, loaded: ExecMeta, metaOf: () => ExecMeta): LlmProvider {
    let used = loaded.llmTokens ?? 0;
    const counted = (team: string | undefined) => (r: LlmResult): LlmResult => {
      const tokens = r.usage ? r.usage.inputTokens + r.usage.outputTokens : r.tokens;
      used += tokens;
      if (team !== undefined && tokens > 0) this.add(team, tokens);
      return r;
    };
    return (req, ctx) => {
      const meta = metaOf();
      const budget = meta.llmBudget?.tokens;
      if (budget !== undefined && used >= budget)
        throw new LlmError('BUDGET_EXCEEDED', `the execution's token budget is spent (${used} of ${budget})`);
      const full = withDefaults(req, meta);
      const team = meta.team;
      const limit = this.teamTokens;
      if (team === undefined || limit === undefined) return provider(full, ctx).then(counted(undefined));
      return this.teamUsed(team).then((spent) => {
        if (spent >= limit)
          throw new LlmError('BUDGET_EXCEEDED', `team "${team}"'s token budget is spent (${spent} of ${limit})`);
        return provider(full, ctx).then(counted(team));
      });
    };
  }

  async teamUsed(team: string): Promise<number> {
    return Number((await this.redis.get(RedisKeys.teamLlmTokens(team))) ?? 0);
  }

  /**
   * Adds to the team's counter. Sent before the answer reaches the tree, on the connection later
   * reads use, so the next call's check sees it; a failure is logged (the budget undercounts).
   */
  private add(team: string, tokens: number): void {
    this.redis.incrby(RedisKeys.teamLlmTokens(team), tokens).catch((error: unknown) => {
      this.log.warn({ err: error, team, tokens }, 'team token counter not updated');
    });
  }
}

/**
 * The execution's `llm.provider`/`llm.model` where the node gave none. Its model is used only
 * with its provider: a node that switches provider brings its own model (or the environment's).
 */
function withDefaults(req: LlmRequest, meta: ExecMeta): LlmRequest {
  const o = meta.llm;
  if (o === undefined) return req;
  const provider = req.provider ?? o.provider;
  const sameProvider = req.provider === undefined || req.provider === o.provider;
  const model = req.model ?? (sameProvider ? o.model : undefined);
  const out: LlmRequest = { ...req };
  if (provider !== undefined) out.provider = provider;
  if (model !== undefined) out.model = model;
  return out;
}
