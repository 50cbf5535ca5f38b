import type { KeyRef } from '../blackboard/keys';
import type { Evaluator } from '../expr/env';
import type { ExprJson } from '../model/json';
import { FAILURE, RUNNING, SUCCESS } from '../status';
import type { BtNode } from '../tree/node';
import type { NodeDef } from '../tree/node-def';
import { MemorySelectorNode, MemorySequenceNode } from './composites/memory';
import { ParallelNode } from './composites/parallel';
import { ReactiveSelectorNode, ReactiveSequenceNode } from './composites/reactive';
import { OptionNode, ScoringSelectorNode } from './composites/scoring-selector';
import { SelectorNode } from './composites/selector';
import { SequenceNode } from './composites/sequence';
import { CooldownNode } from './decorators/cooldown';
import { DelayNode } from './decorators/delay';
import { ForEachNode, ParallelForEachNode } from './decorators/for-each';
import { GuardNode } from './decorators/guard';
import { OnEventNode } from './decorators/on-event';
import { RepeatNode, RetryNode } from './decorators/repeat';
import { RunOnceNode } from './decorators/run-once';
import { SemaphoreNode } from './decorators/semaphore';
import {
  ForceFailureNode,
  ForceSuccessNode,
  InvertNode,
  UntilFailureNode,
  UntilSuccessNode,
} from './decorators/status-map';
import { TimeoutNode } from './decorators/timeout';
import { ActionNode } from './leaves/action';
import { ConditionNode } from './leaves/condition';
import { ConstantNode } from './leaves/constant';
import { LlmCallNode } from './leaves/llm-call';
import { LogNode, ProgressNode } from './leaves/log';
import { SetNode, UnsetNode } from './leaves/set';
import { SubtreeNode } from './leaves/subtree';
import { WaitNode } from './leaves/wait';

export type NodeFactory = (d: NodeDef) => BtNode;

/** Arguments were validated against the spec, so a required one is present. */
function arg(d: NodeDef, i: number): ExprJson {
  const e = d.arg(i);
  return e === undefined
    ? d.fail('BAD_ARGUMENT', `(${d.json.type}) is missing argument ${i + 1}`)
    : e;
}

function kw(d: NodeDef, name: string): ExprJson {
  const e = d.kw(name);
  return e === undefined ? d.fail('BAD_ARGUMENT', `(${d.json.type}) needs :${name}`) : e;
}

function optional(d: NodeDef, name: string): Evaluator | undefined {
  const e = d.kw(name);
  return e === undefined ? undefined : d.expr(e);
}

function optionalKey(d: NodeDef, name: string): KeyRef | undefined {
  const e = d.kw(name);
  return e === undefined ? undefined : d.key(e);
}

/** Open keyword arguments (actions, subtrees) but the node's own keywords, compiled in the caller's scope. */
function namedArgs(d: NodeDef, own: readonly string[] = []): [string[], Evaluator[]] {
  const entries = d.kwargs().filter(([k]) => !own.includes(k));
  return [entries.map(([k]) => k), entries.map(([, v]) => d.expr(v))];
}

const ACTION_KEYWORDS = ['into'];

/** `(mcp-tool SERVER TOOL ...)`: an action named `mcp:SERVER/TOOL`, which the host resolves. */
function mcpTool(d: NodeDef): BtNode {
  const into = d.kw('into');
  const name = `mcp:${d.text(arg(d, 0))}/${d.text(arg(d, 1))}`;
  return new ActionNode(d.id, d.rt, name, ...namedArgs(d, ACTION_KEYWORDS), into === undefined ? null : d.key(into), d.scope);
}

function action(d: NodeDef): BtNode {
  const into = d.kw('into');
  return new ActionNode(d.id, d.rt, d.text(arg(d, 0)), ...namedArgs(d, ACTION_KEYWORDS), into === undefined ? null : d.key(into), d.scope);
}

function parallel(d: NodeDef): BtNode {
  const success = d.kw('success');
  const policy = d.kw('policy');
  if (success !== undefined && policy !== undefined) {
    d.fail('BAD_ARGUMENT', '(parallel) takes :success or :policy, not both');
  }
  const one =
    typeof policy === 'object' && policy !== null && 'kw' in policy && policy.kw === 'require-one';
  return new ParallelNode(
    d.id,
    d.rt,
    {
      success: success === undefined ? null : d.expr(success),
      fixedSuccess: one ? 1 : d.childCount,
      failure: optional(d, 'failure') ?? null,
    },
    d.childCount,
  );
}

function semaphoreName(d: NodeDef): string {
  const e = d.kw('name');
  return e !== undefined
    ? d.text(e)
    : (d.json.name ?? d.fail('BAD_ARGUMENT', '(semaphore) needs :name'));
}

export const NODE_FACTORIES: Readonly<Record<string, NodeFactory>> = {
  sequence: (d) => new SequenceNode(d.id, d.rt),
  selector: (d) => new SelectorNode(d.id, d.rt),
  'reactive-sequence': (d) => new ReactiveSequenceNode(d.id, d.rt),
  'reactive-selector': (d) => new ReactiveSelectorNode(d.id, d.rt),
  'memory-sequence': (d) => new MemorySequenceNode(d.id, d.rt),
  'memory-selector': (d) => new MemorySelectorNode(d.id, d.rt),
  parallel,
  'scoring-selector': (d) =>
    new ScoringSelectorNode(d.id, d.rt, optional(d, 'hysteresis') ?? null, d.childCount),
  option: (d) => new OptionNode(d.id, d.rt, d.expr(arg(d, 0))),

  invert: (d) => new InvertNode(d.id, d.rt),
  'force-success': (d) => new ForceSuccessNode(d.id, d.rt),
  'force-failure': (d) => new ForceFailureNode(d.id, d.rt),
  repeat: (d) => new RepeatNode(d.id, d.rt, d.expr(kw(d, 'times'))),
  retry: (d) => new RetryNode(d.id, d.rt, d.expr(kw(d, 'times'))),
  'until-success': (d) => new UntilSuccessNode(d.id, d.rt),
  'until-failure': (d) => new UntilFailureNode(d.id, d.rt),
  timeout: (d) => new TimeoutNode(d.id, d.rt, d.expr(kw(d, 'ms'))),
  delay: (d) => new DelayNode(d.id, d.rt, d.expr(kw(d, 'ms'))),
  cooldown: (d) => new CooldownNode(d.id, d.rt, d.expr(kw(d, 'ms'))),
  guard: (d) => new GuardNode(d.id, d.rt, d.expr(arg(d, 0))),
  'run-once': (d) => new RunOnceNode(d.id, d.rt),
  'on-event': (d) => new OnEventNode(d.id, d.rt, d.text(arg(d, 0))),
  'for-each': (d) => {
    const copies = d.kw('parallel');
    return typeof copies === 'number'
      ? new ParallelForEachNode(d.id, d.rt, d.scope, d.expr(kw(d, 'in')), d.text(kw(d, 'as')), copies)
      : new ForEachNode(d.id, d.rt, d.scope, d.expr(kw(d, 'in')), d.text(kw(d, 'as')));
  },
  semaphore: (d) => new SemaphoreNode(d.id, d.rt, semaphoreName(d), d.expr(kw(d, 'max'))),

  success: (d) => new ConstantNode(d.id, d.rt, SUCCESS),
  failure: (d) => new ConstantNode(d.id, d.rt, FAILURE),
  running: (d) => new ConstantNode(d.id, d.rt, RUNNING),
  condition: (d) => new ConditionNode(d.id, d.rt, d.expr(arg(d, 0))),
  set: (d) => new SetNode(d.id, d.rt, d.scope, d.key(arg(d, 0)), d.expr(arg(d, 1))),
  unset: (d) => new UnsetNode(d.id, d.rt, d.scope, d.key(arg(d, 0))),
  wait: (d) => new WaitNode(d.id, d.rt, d.expr(kw(d, 'ms'))),
  log: (d) =>
    new LogNode(
      d.id,
      d.rt,
      d.text(arg(d, 0)),
      (d.json.args ?? []).slice(1).map((e) => d.expr(e)),
    ),
  progress: (d) => new ProgressNode(d.id, d.rt, d.text(arg(d, 0)), d.expr(arg(d, 1))),
  action,
  'mcp-tool': mcpTool,
  subtree: (d) => new SubtreeNode(d.id, d.rt, d.scope, ...namedArgs(d)),
  'llm-call': (d) =>
    new LlmCallNode(d.id, d.rt, d.scope, {
      prompt: d.expr(kw(d, 'prompt')),
      into: d.key(kw(d, 'into')),
      conversation: optionalKey(d, 'conversation'),
      tools: optional(d, 'tools'),
      toolCallsInto: optionalKey(d, 'tool-calls-into'),
      toolResults: optional(d, 'tool-results'),
      provider: optional(d, 'provider'),
      model: optional(d, 'model'),
      system: optional(d, 'system'),
      maxTokens: optional(d, 'max-tokens'),
      timeoutMs: optional(d, 'timeout-ms'),
      retries: optional(d, 'retries'),
    }),
};
