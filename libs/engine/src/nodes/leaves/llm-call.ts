import { readRef, writeRef } from '../../blackboard/access';
import type { KeyRef } from '../../blackboard/keys';
import type { LocalScope } from '../../blackboard/local-scope';
import type { Evaluator } from '../../expr/env';
import { typeName } from '../../expr/values';
import { LlmError, type LlmErrorCode, type LlmMessage, type LlmRequest, type LlmResult, type LlmUsage } from '../../model/runtime';
import { FAILURE, RUNNING, SUCCESS, type TickStatus } from '../../status';
import { BtNode, EVAL_FAILED } from '../../tree/node';
import type { Runtime } from '../../tree/runtime';
import { numberIn, numberOrNull, recordIn, stringIn, type NodeState } from '../../tree/state';
import { conversationOf, toolCallsJson, toolMessages, toolsOf } from './llm-tools';
import { CALL, messageOf, PENDING, REJECTED, RESOLVED, type InvocationState } from './invocation';

export interface LlmCallConfig {
  prompt: Evaluator;
  into: KeyRef;
  conversation?: KeyRef;
  tools?: Evaluator;
  toolCallsInto?: KeyRef;
  toolResults?: Evaluator;
  provider?: Evaluator;
  model?: Evaluator;
  system?: Evaluator;
  maxTokens?: Evaluator;
  timeoutMs?: Evaluator;
  retries?: Evaluator;
}

/** One attempt. Tokens buffer here and reach the blackboard only when the node is ticked. */
class LlmAttempt {
  state: InvocationState = CALL;
  buffer = '';
  result: LlmResult | null = null;
  failure = '';
  failureCode: LlmErrorCode = 'LLM_FAILED';
  readonly controller = new AbortController();
}

/** An attempt and the fields a tick may change, as they were when the tick began. */
class LiveAttempt {
  private readonly state: InvocationState;
  private readonly buffer: string;
  private readonly result: LlmResult | null;
  private readonly failure: string;
  private readonly failureCode: LlmErrorCode;

  constructor(
    private readonly call: LlmAttempt,
    /** The node's streamed text: not in the checkpoint, so the debugger's rewind keeps it here. */
    readonly text: string,
    readonly written: boolean,
  ) {
    this.state = call.state;
    this.buffer = call.buffer;
    this.result = call.result;
    this.failure = call.failure;
    this.failureCode = call.failureCode;
  }

  reinstate(): LlmAttempt {
    const call = this.call;
    call.state = this.state;
    call.buffer = this.buffer;
    call.result = this.result;
    call.failure = this.failure;
    call.failureCode = this.failureCode;
    return call;
  }
}

/** Returned by `poll` when the attempt failed and another one may start in this tick. */
const RETRY = 0;

export class LlmCallNode extends BtNode {
  private req: LlmRequest | null = null;
  private timeoutMs: number | null = null;
  private retries = 0;
  private attempt = 0;
  private attemptStart = 0;
  /** What this attempt has written into `:into` so far. */
  private text = '';
  private written = false;
  private call: LlmAttempt | null = null;

  constructor(
    id: string,
    rt: Runtime,
    private readonly scope: LocalScope | null,
    private readonly cfg: LlmCallConfig,
  ) {
    super(id, rt);
  }

  protected override onStart(): void {
    this.req = null;
    this.call = null;
    this.attempt = 0;
    if (this.rt.llm === undefined) {
      this.report('LLM_FAILED', 'no language-model provider is configured');
      return;
    }
    const prompt = this.optionalString(this.cfg.prompt, ':prompt');
    if (prompt === EVAL_FAILED) return;
    const messages = this.conversation();
    if (messages === EVAL_FAILED) return;
    // With a conversation, a nil prompt asks the model to go on (after tool results, say).
    if (prompt === undefined && (messages === undefined || messages.length === 0)) {
      this.report('BAD_ARGUMENT', ':prompt must be a string, got nil');
      return;
    }
    const req: LlmRequest = { prompt: prompt ?? '' };
    if (messages !== undefined && messages.length > 0) req.messages = messages;
    if (this.cfg.tools !== undefined) {
      const v = this.evaluate(this.cfg.tools);
      if (v === EVAL_FAILED) return;
      const tools = toolsOf(v);
      if (typeof tools === 'string') return this.report('BAD_ARGUMENT', tools);
      if (tools.length > 0) req.tools = tools;
    }
    const provider = this.optionalString(this.cfg.provider, ':provider');
    const model = this.optionalString(this.cfg.model, ':model');
    const system = this.optionalString(this.cfg.system, ':system');
    if (provider === EVAL_FAILED || model === EVAL_FAILED || system === EVAL_FAILED) return;
    if (provider !== undefined) req.provider = provider;
    if (model !== undefined) req.model = model;
    if (system !== undefined) req.system = system;
    const c = this.cfg;
    if (c.maxTokens) req.maxTokens = this.evalNumber(c.maxTokens, ':max-tokens', true);
    this.timeoutMs = c.timeoutMs ? this.evalNumber(c.timeoutMs, ':timeout-ms', false) : null;
    this.retries = c.retries ? this.evalNumber(c.retries, ':retries', true) : 0;
    if (Number.isNaN(req.maxTokens) || Number.isNaN(this.timeoutMs) || Number.isNaN(this.retries))
      return;
    this.req = req;
  }

  /** The messages before the prompt: the `:conversation` key's, then the answers to its last tool calls. */
  private conversation(): LlmMessage[] | undefined | typeof EVAL_FAILED {
    const c = this.cfg;
    if (c.conversation === undefined) return undefined;
    const held = conversationOf(readRef(this.rt.store, this.scope, c.conversation));
    if (typeof held === 'string') {
      this.report('BAD_ARGUMENT', held);
      return EVAL_FAILED;
    }
    const results = c.toolResults === undefined ? undefined : this.evaluate(c.toolResults);
    if (results === EVAL_FAILED) return EVAL_FAILED;
    const answers = toolMessages(held, results);
    if (typeof answers === 'string') {
      this.report('BAD_ARGUMENT', answers);
      return EVAL_FAILED;
    }
    return [...held, ...answers];
  }

  private optionalString(
    ev: Evaluator | undefined,
    what: string,
  ): string | undefined | typeof EVAL_FAILED {
    if (ev === undefined) return undefined;
    const v = this.evaluate(ev);
    if (v === EVAL_FAILED || v === null || typeof v === 'string') return v ?? undefined;
    this.report('BAD_ARGUMENT', `${what} must be a string, got ${typeName(v)}`);
    return EVAL_FAILED;
  }

  protected onTick(): TickStatus {
    if (this.req === null) return FAILURE;
    for (;;) {
      let call = this.call;
      if (call === null || call.state === CALL) call = this.begin(this.req, call === null);
      const s = this.poll(call);
      if (s !== RETRY) return s;
    }
  }

  /** `fresh` is false when re-invoking a call restored from a checkpoint: its clock keeps running. */
  private begin(req: LlmRequest, fresh: boolean): LlmAttempt {
    const call = new LlmAttempt();
    this.call = call;
    if (fresh) this.attemptStart = this.rt.now;
    // A re-invoked stream starts over, so the text it writes starts over too.
    this.text = '';
    this.written = false;
    call.state = PENDING;
    const settle = (
      state: typeof RESOLVED | typeof REJECTED,
      result: LlmResult | null,
      failure: string,
      code: LlmErrorCode = 'LLM_FAILED',
    ): void => {
      const held = this.rt.held;
      if (held !== null) {
        held.push(() => settle(state, result, failure, code));
        return;
      }
      if (this.call !== call || call.state !== PENDING) return;
      call.state = state;
      call.result = result;
      call.failure = failure;
      call.failureCode = code;
      this.rt.onWake?.();
    };
    const fail = (e: unknown): void =>
      e instanceof LlmError
        ? settle(REJECTED, null, e.message, e.code)
        : settle(REJECTED, null, messageOf(e));
    const onToken = (t: string): void => {
      const held = this.rt.held;
      if (held !== null) held.push(() => onToken(t));
      else if (this.call === call && call.state === PENDING) call.buffer += t;
    };
    const llm = this.rt.llm;
    try {
      if (llm === undefined) throw new Error('no language-model provider is configured');
      llm(req, { signal: call.controller.signal, onToken }).then(
        (r: LlmResult | undefined) =>
          typeof r?.text === 'string'
            ? settle(RESOLVED, r, '')
            : settle(REJECTED, null, 'the provider returned no text'),
        fail,
      );
    } catch (e) {
      fail(e);
    }
    return call;
  }

  private poll(call: LlmAttempt): TickStatus | typeof RETRY {
    if (call.buffer !== '') {
      const added = call.buffer;
      call.buffer = '';
      if (!this.put(this.text + added)) return this.giveUp(call);
      this.rt.rec.chunk(this.id, added);
    }
    if (call.state === RESOLVED && call.result !== null) {
      const { text, usage } = call.result;
      if ((!this.written || text !== this.text) && !this.put(text)) return this.giveUp(call);
      if (!this.keep(call.result)) return this.giveUp(call);
      if (usage !== undefined) this.rt.rec.llmUsage({ nodeId: this.id, ...usage });
      this.call = null;
      return SUCCESS;
    }
    if (call.state === REJECTED) {
      if (call.failureCode === 'BUDGET_EXCEEDED') {
        // Asking again cannot help: the budget stays spent.
        this.report('BUDGET_EXCEEDED', `llm-call: ${call.failure}`);
        this.call = null;
        return FAILURE;
      }
      this.report('LLM_FAILED', `llm-call failed: ${call.failure}`);
      return this.retry();
    }
    if (this.timeoutMs !== null && this.rt.now - this.attemptStart >= this.timeoutMs) {
      this.rt.abort(call.controller);
      this.report('ACTION_TIMEOUT', `llm-call timed out after ${this.timeoutMs} ms`);
      return this.retry();
    }
    return RUNNING;
  }

  private put(text: string): boolean {
    try {
      writeRef(this.rt.store, this.rt.rec, this.scope, this.cfg.into, text);
    } catch (e) {
      this.fault(e);
      return false;
    }
    this.text = text;
    this.written = true;
    return true;
  }

  /** The tool calls to `:tool-calls-into` (a list, empty when none), the exchange to `:conversation`. */
  private keep(result: LlmResult): boolean {
    const c = this.cfg;
    const req = this.req;
    try {
      const calls = toolCallsJson(result.toolCalls);
      if (c.toolCallsInto !== undefined) writeRef(this.rt.store, this.rt.rec, this.scope, c.toolCallsInto, calls);
      if (c.conversation !== undefined && req !== null) {
        const answer: LlmMessage = { role: 'assistant', content: result.text };
        if (calls.length > 0) answer.toolCalls = calls;
        const next = [...(req.messages ?? []), ...(req.prompt !== '' ? [{ role: 'user' as const, content: req.prompt }] : []), answer];
        writeRef(this.rt.store, this.rt.rec, this.scope, c.conversation, next);
      }
    } catch (e) {
      this.fault(e);
      return false;
    }
    return true;
  }

  private retry(): TickStatus | typeof RETRY {
    this.call = null;
    if (this.attempt >= this.retries) return FAILURE;
    this.attempt++;
    return RETRY;
  }

  private giveUp(call: LlmAttempt): TickStatus {
    this.rt.abort(call.controller);
    this.call = null;
    return FAILURE;
  }

  protected override onHalt(): void {
    if (this.call !== null) this.rt.abort(this.call.controller);
    this.call = null;
  }

  override discard(): void {
    this.onHalt();
  }

  override captureLive(): unknown {
    const call = this.call;
    return call === null ? undefined : new LiveAttempt(call, this.text, this.written);
  }

  override reinstateLive(live: unknown): void {
    const attempt = live as LiveAttempt;
    this.call = attempt.reinstate();
    this.text = attempt.text;
    this.written = attempt.written;
  }

  /**
   * A call still streaming is saved as `pending` and started again after a restore, and its
   * stream starts over: the text streamed so far is on the blackboard key, never in the
   * checkpoint, so the checkpoint stays the same size however long the answer grows. Only a
   * result that arrived but no tick has seen yet (a debugger's held tick) is kept, with what the
   * stream had written, to decide whether the final text needs writing.
   */
  protected override saveState(): NodeState | undefined {
    if (this.status !== RUNNING || this.req === null) return undefined;
    const call = this.call;
    const out: NodeState = {
      req: this.req,
      timeoutMs: this.timeoutMs,
      retries: this.retries,
      attempt: this.attempt,
      attemptStart: this.attemptStart,
    };
    if (call !== null && call.state !== CALL) {
      out.call =
        call.state === PENDING ? 'pending' : call.state === RESOLVED ? 'resolved' : 'rejected';
      if (call.state === RESOLVED && call.result !== null) {
        out.result = call.result;
        out.text = this.text;
        out.written = this.written;
        if (call.buffer !== '') out.buffer = call.buffer;
      }
      if (call.state === REJECTED) {
        out.failure = call.failure;
        out.failureCode = call.failureCode;
      }
    }
    return out;
  }

  protected override loadState(s: NodeState): void {
    this.call = null;
    const req = recordIn(s, 'req');
    this.req = req && typeof req.prompt === 'string' ? (req as unknown as LlmRequest) : null;
    this.timeoutMs = numberOrNull(s, 'timeoutMs');
    this.retries = numberIn(s, 'retries', 0);
    this.attempt = numberIn(s, 'attempt', 0);
    this.attemptStart = numberIn(s, 'attemptStart', 0);
    this.text = stringIn(s, 'text', '');
    this.written = s.written === true;
    if (s.call === undefined) return;
    const call = new LlmAttempt();
    if (s.call === 'resolved') {
      call.state = RESOLVED;
      const r = recordIn(s, 'result') ?? {};
      call.result = { text: stringIn(r, 'text', ''), tokens: numberIn(r, 'tokens', 0) };
      const usage = recordIn(r, 'usage');
      if (usage !== undefined) call.result.usage = usage as unknown as LlmUsage;
    } else if (s.call === 'rejected') {
      call.state = REJECTED;
      call.failure = stringIn(s, 'failure', '');
      call.failureCode = s.failureCode === 'BUDGET_EXCEEDED' ? 'BUDGET_EXCEEDED' : 'LLM_FAILED';
    }
    this.call = call;
  }
}
