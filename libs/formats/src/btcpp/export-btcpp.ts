import type { ExprJson, NodeJson, TreeDocument } from '@canopy/engine';
import { FormatIssueCode, type FormatIssue } from '../issues';

export interface ExportResult {
  /** Present only when every node could be written. */
  xml?: string;
  /** Positioned by JSON pointer into the document (`path`); a tool with the source maps it to line:column. */
  issues: FormatIssue[];
}

const COMPOSITES: Record<string, string> = {
  sequence: 'Sequence',
  selector: 'Fallback',
  fallback: 'Fallback',
  'reactive-sequence': 'ReactiveSequence',
  'reactive-selector': 'ReactiveFallback',
  'memory-sequence': 'SequenceWithMemory',
};

const SIMPLE_DECORATORS: Record<string, string> = {
  invert: 'Inverter',
  'force-success': 'ForceSuccess',
  'force-failure': 'ForceFailure',
};

/** Decorators with one number keyword, and the BT.CPP port it becomes. */
const NUMBER_DECORATORS: Record<string, [string, string, string]> = {
  repeat: ['Repeat', 'times', 'num_cycles'],
  retry: ['RetryUntilSuccessful', 'times', 'num_attempts'],
  timeout: ['Timeout', 'ms', 'msec'],
  delay: ['Delay', 'ms', 'delay_msec'],
};

/** Why a Canopy node has no BT.CPP form, and what to do instead. */
const NO_EQUIVALENT: Record<string, string> = {
  condition: 'BT.CPP conditions are C++ nodes; write it as an action that checks the condition',
  guard: 'BT.CPP has no guard decorator (v4 _while scripts are not written by this exporter)',
  log: 'BT.CPP has no log node',
  progress: 'BT.CPP has no progress node',
  cooldown: 'BT.CPP has no cooldown decorator',
  'for-each': 'BT.CPP loops over queues with typed nodes this exporter does not write',
  'scoring-selector': 'BT.CPP has no utility selector',
  option: 'BT.CPP has no utility selector',
  semaphore: 'BT.CPP has no team semaphores',
  'on-event': 'BT.CPP has no external events',
  'llm-call': 'BT.CPP has no language-model node; call the model from an action',
  'mcp-tool': 'BT.CPP has no MCP node; call the tool from an action',
  'until-failure': 'BT.CPP has no decorator that succeeds when its child fails repeatedly',
  'memory-selector': 'BT.CPP has no fallback with memory',
  running: 'BT.CPP has no node that is always RUNNING',
};

/**
 * A Canopy document as BehaviorTree.CPP v4 XML. Nodes without a BT.CPP equivalent, and values that
 * are expressions rather than literals or key reads, are issues at their JSON path; then no XML is
 * produced. Node ids and `:stuck-after` have no BT.CPP form and are not written.
 */
export function exportBtcpp(document: TreeDocument, options: { file?: string } = {}): ExportResult {
  const file = options.file ?? '<input>';
  const issues: FormatIssue[] = [];
  const fail = (path: string, message: string): undefined => {
    issues.push({ file, line: 0, column: 0, path, message, code: FormatIssueCode.Unsupported, severity: 'error' });
    return undefined;
  };
  const main = document.trees.find((t) => t.main) ?? document.trees[0];
  const lines = [`<root BTCPP_format="4" main_tree_to_execute="${attr(main?.name ?? '')}">`];
  document.trees.forEach((tree, t) => {
    lines.push(`  <BehaviorTree ID="${attr(tree.name)}">`);
    writeNode(tree.root, `/trees/${t}/root`, 2, lines, fail);
    lines.push('  </BehaviorTree>');
  });
  lines.push('</root>', '');
  return issues.length ? { issues } : { xml: lines.join('\n'), issues };
}

type Fail = (path: string, message: string) => undefined;

function writeNode(node: NodeJson, path: string, depth: number, out: string[], fail: Fail): void {
  const element = toElement(node, path, fail);
  if (!element) return;
  const pad = '  '.repeat(depth);
  const attrs = [...(node.name !== undefined && node.type !== 'semaphore' ? [['name', node.name]] : []), ...element.attributes]
    .map(([k, v]) => ` ${k}="${attr(v)}"`)
    .join('');
  const children = node.children ?? [];
  if (children.length === 0) {
    out.push(`${pad}<${element.name}${attrs}/>`);
    return;
  }
  out.push(`${pad}<${element.name}${attrs}>`);
  children.forEach((child, i) => writeNode(child, `${path}/children/${i}`, depth + 1, out, fail));
  out.push(`${pad}</${element.name}>`);
}

function toElement(node: NodeJson, path: string, fail: Fail): { name: string; attributes: [string, string][] } | undefined {
  const kw = node.kwargs ?? {};
  const composite = COMPOSITES[node.type];
  if (composite) return { name: composite, attributes: [] };
  const simple = SIMPLE_DECORATORS[node.type];
  if (simple) return { name: simple, attributes: [] };
  const numbered = NUMBER_DECORATORS[node.type];
  if (numbered) {
    const [name, keyword, port] = numbered;
    const value = portText(kw[keyword], `${path}/kwargs/${keyword}`, fail);
    return value === undefined ? undefined : { name, attributes: [[port, value]] };
  }
  switch (node.type) {
    case 'until-success':
      return { name: 'RetryUntilSuccessful', attributes: [['num_attempts', '-1']] };
    case 'run-once':
      return { name: 'RunOnce', attributes: [['then_skip', 'false']] };
    case 'parallel':
      return parallel(node, path, fail);
    case 'success':
      return { name: 'AlwaysSuccess', attributes: [] };
    case 'failure':
      return { name: 'AlwaysFailure', attributes: [] };
    case 'wait': {
      const ms = portText(kw.ms, `${path}/kwargs/ms`, fail);
      return ms === undefined ? undefined : { name: 'Sleep', attributes: [['msec', ms]] };
    }
    case 'set':
      return set(node, path, fail);
    case 'unset': {
      const key = keyName(String(node.args?.[0]), `${path}/args/0`, fail);
      return key === undefined ? undefined : { name: 'UnsetBlackboard', attributes: [['key', key]] };
    }
    case 'action':
      return action(node, path, fail);
    case 'subtree': {
      const ports = ports_(kw, path, fail);
      return ports && { name: 'SubTree', attributes: [['ID', String(node.args?.[0])], ...ports] };
    }
  }
  return fail(`${path}/type`, `${node.type} has no BehaviorTree.CPP equivalent: ${NO_EQUIVALENT[node.type] ?? 'not known to the exporter'}`);
}

function parallel(node: NodeJson, path: string, fail: Fail): { name: string; attributes: [string, string][] } | undefined {
  const kw = node.kwargs ?? {};
  const n = node.children?.length ?? 0;
  let success = '-1';
  if (kw.policy !== undefined) {
    const policy = typeof kw.policy === 'object' && kw.policy !== null && 'kw' in kw.policy ? kw.policy.kw : undefined;
    if (policy === 'require-one') success = '1';
    else if (policy !== 'require-all') return fail(`${path}/kwargs/policy`, 'parallel :policy must be :require-all or :require-one to be written');
  }
  if (kw.success !== undefined) {
    const s = portText(kw.success, `${path}/kwargs/success`, fail);
    if (s === undefined) return undefined;
    success = Number(s) === n ? '-1' : s;
  }
  const failure = kw.failure === undefined ? '1' : portText(kw.failure, `${path}/kwargs/failure`, fail);
  return failure === undefined ? undefined : { name: 'Parallel', attributes: [['success_count', success], ['failure_count', failure]] };
}

function set(node: NodeJson, path: string, fail: Fail): { name: string; attributes: [string, string][] } | undefined {
  const key = keyName(String(node.args?.[0]), `${path}/args/0`, fail);
  if (key === undefined) return undefined;
  const value = node.args?.[1] as ExprJson;
  if (isRead(value)) {
    const ref = keyRef(value.$, `${path}/args/1`, fail);
    return ref === undefined ? undefined : { name: 'SetBlackboard', attributes: [['output_key', key], ['value', ref]] };
  }
  // A script keeps the literal's type (SetBlackboard would store every value as a string).
  if (typeof value === 'string' && !value.includes("'")) return { name: 'Script', attributes: [['code', `${key}:='${value}'`]] };
  if (typeof value === 'number' || typeof value === 'boolean') return { name: 'Script', attributes: [['code', `${key}:=${value}`]] };
  return fail(`${path}/args/1`, 'only a literal or a key read can be written as a BT.CPP value');
}

function action(node: NodeJson, path: string, fail: Fail): { name: string; attributes: [string, string][] } | undefined {
  const head = node.args?.[0];
  const name = typeof head === 'string' ? head : head && typeof head === 'object' && 'sym' in head ? head.sym : '';
  if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) return fail(`${path}/args/0`, `action name "${name}" is not a valid XML element name`);
  const ports = ports_(node.kwargs ?? {}, path, fail);
  return ports && { name, attributes: ports };
}

function ports_(kwargs: Record<string, ExprJson>, path: string, fail: Fail): [string, string][] | undefined {
  const out: [string, string][] = [];
  let ok = true;
  for (const [k, v] of Object.entries(kwargs)) {
    const text = portText(v, `${path}/kwargs/${k}`, fail);
    if (text === undefined) ok = false;
    else out.push([k, text]);
  }
  return ok ? out : undefined;
}

/** A literal as text, a key read as `{key}` (`{@key}` for the execution scope). */
function portText(value: ExprJson | undefined, path: string, fail: Fail): string | undefined {
  if (value === undefined) return fail(path, 'missing');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isRead(value)) return keyRef(value.$, path, fail);
  return fail(path, 'only a literal or a key read can be written as a BT.CPP port');
}

function keyRef(key: string, path: string, fail: Fail): string | undefined {
  const name = keyName(key, path, fail);
  return name === undefined ? undefined : `{${name}}`;
}

/** A key as BT.CPP names it: the execution scope is its root blackboard (`@key`). */
function keyName(key: string, path: string, fail: Fail): string | undefined {
  if (key.startsWith('exec:')) return `@${key.slice(5)}`;
  if (/^(global|team):/.test(key)) return fail(path, `${key}: BT.CPP has no global or team blackboard`);
  return key;
}

function isRead(value: ExprJson | undefined): value is { $: string } {
  return typeof value === 'object' && value !== null && '$' in value;
}

function attr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
