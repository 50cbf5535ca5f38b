import type { ExprJson, NodeJson } from '@canopy/engine';
import { keyOf, numberPort, portValue, scriptAssignments } from './values';

export interface ConvertInput {
  type: string;
  ports: ReadonlyMap<string, string>;
  children: NodeJson[];
  /** A difference the user should know about; the node is still carried over. */
  note(message: string): void;
  /** The node cannot be carried over: reports it and returns undefined. */
  fail(message: string): undefined;
}

/** A BT.CPP built-in node: the ports Canopy understands, and its Canopy form. */
export interface Builtin {
  ports?: readonly string[];
  convert(input: ConvertInput): NodeJson | undefined;
}

const composite = (type: string): Builtin => ({
  convert: ({ children, fail }) => (children.length > 0 ? { type, children } : fail(`${type} needs at least one child`)),
});

const decorator = (type: string, kwargs?: (i: ConvertInput) => Record<string, ExprJson> | undefined, ports?: string[]): Builtin => ({
  ports,
  convert: (input) => {
    if (input.children.length !== 1) return input.fail(`${input.type} needs exactly one child`);
    const kw = kwargs?.(input);
    if (kwargs && kw === undefined) return undefined;
    return { type, ...(kw && Object.keys(kw).length ? { kwargs: kw } : {}), children: input.children };
  },
});

const leaf = (node: (i: ConvertInput) => NodeJson | undefined, ports?: string[]): Builtin => ({
  ports,
  convert: (input) => (input.children.length > 0 ? input.fail(`${input.type} takes no children`) : node(input)),
});

/** A number port given (or its default), as `{[kw]: value}`; a malformed value fails the node. */
function numberKw(kw: string, port: string, fallback?: number) {
  return ({ ports, fail, type }: ConvertInput): Record<string, ExprJson> | undefined => {
    const raw = ports.get(port);
    if (raw === undefined) return fallback === undefined ? fail(`${type} needs the port "${port}"`) : { [kw]: fallback };
    const value = numberPort(raw);
    return value === undefined ? fail(`${type}: "${port}" must be a number or a {key}, not "${raw}"`) : { [kw]: value };
  };
}

/**
 * `success_count`/`failure_count` (v4) or `success_threshold`/`failure_threshold` (v3); a negative
 * count counts from the number of children (-1 is all of them), as BT.CPP does.
 */
function parallelKwargs(input: ConvertInput): Record<string, ExprJson> | undefined {
  const n = input.children.length;
  const read = (names: string[], fallback: number): number | undefined => {
    const name = names.find((p) => input.ports.has(p));
    if (name === undefined) return fallback;
    const raw = input.ports.get(name) as string;
    const value = numberPort(raw);
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      input.fail(`Parallel: "${name}" must be an integer (a {key} cannot be carried over), not "${raw}"`);
      return undefined;
    }
    return value < 0 ? n + value + 1 : value;
  };
  const success = read(['success_count', 'success_threshold'], -1);
  const failure = read(['failure_count', 'failure_threshold'], 1);
  if (success === undefined || failure === undefined) return undefined;
  return { ...(success !== n ? { success } : {}), ...(failure !== 1 ? { failure } : {}) };
}

const PARALLEL_PORTS = ['success_count', 'failure_count', 'success_threshold', 'failure_threshold'];

/** BT.CPP's built-in nodes that have a Canopy equivalent, by their XML name (v4 and v3). */
export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ['Sequence', composite('sequence')],
  ['SequenceWithMemory', composite('memory-sequence')],
  ['SequenceStar', composite('memory-sequence')],
  ['ReactiveSequence', composite('reactive-sequence')],
  ['Fallback', composite('fallback')],
  ['ReactiveFallback', composite('reactive-selector')],
  [
    'Parallel',
    {
      ports: PARALLEL_PORTS,
      convert: (input) => {
        if (input.children.length === 0) return input.fail('Parallel needs at least one child');
        const kwargs = parallelKwargs(input);
        if (!kwargs) return undefined;
        return { type: 'parallel', ...(Object.keys(kwargs).length ? { kwargs } : {}), children: input.children };
      },
    },
  ],
  ['Inverter', decorator('invert')],
  ['ForceSuccess', decorator('force-success')],
  ['ForceFailure', decorator('force-failure')],
  ['Repeat', decorator('repeat', numberKw('times', 'num_cycles'), ['num_cycles'])],
  ['RetryUntilSuccessful', decorator('retry', numberKw('times', 'num_attempts'), ['num_attempts'])],
  // The v3 spelling.
  ['RetryUntilSuccesful', decorator('retry', numberKw('times', 'num_attempts'), ['num_attempts'])],
  ['Timeout', decorator('timeout', numberKw('ms', 'msec'), ['msec'])],
  ['Delay', decorator('delay', numberKw('ms', 'delay_msec'), ['delay_msec'])],
  [
    'RunOnce',
    decorator(
      'run-once',
      ({ ports, note }) => {
        if (ports.get('then_skip')?.trim() !== 'false')
          note('RunOnce: after its run BT.CPP skips the child (SKIPPED); Canopy returns the status of that run instead (then_skip="false")');
        return {};
      },
      ['then_skip'],
    ),
  ],
  // Success keeps it running; the first failure ends it: Canopy's endless repeat.
  ['KeepRunningUntilFailure', decorator('repeat', () => ({ times: -1 }))],
  ['AlwaysSuccess', leaf(() => ({ type: 'success' }))],
  ['AlwaysFailure', leaf(() => ({ type: 'failure' }))],
  ['Sleep', leaf((input) => {
    const kw = numberKw('ms', 'msec')(input);
    return kw && { type: 'wait', kwargs: kw };
  }, ['msec'])],
  [
    'SetBlackboard',
    leaf(
      ({ ports, fail }) => {
        const key = ports.get('output_key');
        const value = ports.get('value');
        if (key === undefined || value === undefined) return fail('SetBlackboard needs output_key and value');
        return { type: 'set', args: [keyOf(key), portValue('value', value)] };
      },
      ['output_key', 'value'],
    ),
  ],
  [
    'UnsetBlackboard',
    leaf(({ ports, fail }) => {
      const key = ports.get('key');
      return key === undefined ? fail('UnsetBlackboard needs key') : { type: 'unset', args: [keyOf(key)] };
    }, ['key']),
  ],
  [
    'Script',
    leaf(
      ({ ports, fail }) => {
        const code = ports.get('code') ?? '';
        const sets = scriptAssignments(code);
        if (!sets) return fail(`Script "${code.trim()}": only assignments of literals (key := 'text', 3, true) can be carried over`);
        const nodes: NodeJson[] = sets.map(({ key, value }) => ({ type: 'set', args: [key, value] }));
        return nodes.length === 1 ? nodes[0] : { type: 'sequence', children: nodes };
      },
      ['code'],
    ),
  ],
]);

/**
 * BT.CPP built-ins with no Canopy equivalent, so that they are reported as what they are rather
 * than taken for custom actions.
 */
export const UNSUPPORTED: ReadonlyMap<string, string> = new Map([
  ['IfThenElse', 'use a selector of (sequence CONDITION THEN) and ELSE, which also runs ELSE when THEN fails'],
  ['WhileDoElse', 'use a reactive-selector of (reactive-sequence CONDITION DO) and ELSE'],
  ['Switch2', 'use a selector of guarded branches'],
  ['Switch3', 'use a selector of guarded branches'],
  ['Switch4', 'use a selector of guarded branches'],
  ['Switch5', 'use a selector of guarded branches'],
  ['Switch6', 'use a selector of guarded branches'],
  ['ParallelAll', 'use parallel with :success and :failure counts'],
  ['ManualSelector', 'it asks a human at run time'],
  ['Precondition', 'use (guard EXPR C)'],
  ['ScriptCondition', 'use (condition EXPR)'],
  ['WasEntryUpdated', 'Canopy has no entry timestamps'],
  ['SkipUnlessUpdated', 'Canopy has no entry timestamps'],
  ['WaitValueUpdate', 'Canopy has no entry timestamps'],
  ['LoopInt', 'use for-each over a list'],
  ['LoopDouble', 'use for-each over a list'],
  ['LoopString', 'use for-each over a list'],
  ['LoopBool', 'use for-each over a list'],
  ['ConsumeQueue', 'use for-each over a list'],
  ['EntryUpdatedAction', 'Canopy has no entry timestamps'],
  ['EntryUpdatedDecorator', 'Canopy has no entry timestamps'],
]);
