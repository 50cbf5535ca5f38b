import type { ExprJson, NodeJson, TreeJson } from '@canopy/engine';
import type { ImportResult } from '../btcpp/import-btcpp';
import { FormatIssueCode, IssueList } from '../issues';
import { readMdsl, type MdslArg, type MdslNode } from './read-mdsl';

const COMPOSITES: Record<string, string> = { sequence: 'sequence', selector: 'selector', parallel: 'parallel' };
const DECORATORS: Record<string, string> = { flip: 'invert', succeed: 'force-success', fail: 'force-failure' };

/**
 * mistreevous MDSL to a Canopy document. The unnamed `root` is the main tree (named `main`, or
 * `options.name`); `root [Name]` trees are subtrees that `branch [Name]` runs. Actions and
 * conditions, which mistreevous calls on its agent, become Canopy actions (a condition's `true` is
 * SUCCESS, `false` FAILURE); their arguments are passed as the list `:args`, and `$name` agent
 * properties are read from the blackboard. Guards, callbacks, `lotto` and random durations have
 * no Canopy form: errors at their line and column.
 */
export function importMdsl(text: string, options: { file?: string; name?: string } = {}): ImportResult {
  const file = options.file ?? '<input>';
  const issues = new IssueList();
  const roots = readMdsl(text, file, issues);
  if (!roots) return { issues: issues.sorted() };
  const fail = (n: { at: { line: number; column: number } }, message: string, code = FormatIssueCode.Unsupported): undefined => {
    issues.error(file, n.at, code as Exclude<FormatIssueCode, FormatIssueCode.Note>, message);
    return undefined;
  };
  const names = new Set(roots.filter((r) => r.args.length > 0).map((r) => String(r.args[0])));

  const value = (arg: MdslArg): ExprJson => (arg !== null && typeof arg === 'object' ? { $: arg.ref } : arg);

  const count = (n: MdslNode): number | undefined => {
    if (n.args.length === 0) return -1;
    if (n.args.length === 1 && typeof n.args[0] === 'number' && Number.isInteger(n.args[0])) return n.args[0];
    return fail(n, `${n.name} [${n.args.join(', ')}]: only a fixed whole count can be carried over (no random range)`);
  };

  const convert = (n: MdslNode): NodeJson | undefined => {
    for (const a of n.attributes)
      fail(a, `${a.name}(...): mistreevous guards and callbacks call the agent; Canopy has no such hooks (use guard, condition or action nodes)`);
    const children = n.children.map(convert);
    if (n.attributes.length > 0 || children.some((c) => c === undefined)) return undefined;
    const kids = children as NodeJson[];
    const one = (): boolean => (kids.length === 1 ? true : (fail(n, `${n.name} takes exactly one child`), false));
    if (COMPOSITES[n.name]) return kids.length ? { type: COMPOSITES[n.name], children: kids } : fail(n, `${n.name} needs at least one child`);
    if (DECORATORS[n.name]) return one() ? { type: DECORATORS[n.name], children: kids } : undefined;
    switch (n.name) {
      case 'race':
        // The first success wins; it fails only when every child failed.
        return kids.length ? { type: 'parallel', kwargs: { success: 1, failure: kids.length }, children: kids } : fail(n, 'race needs at least one child');
      case 'all':
        // Runs every child to its end, then succeeds whatever they returned.
        return kids.length ? { type: 'parallel', children: kids.map((k) => ({ type: 'force-success', children: [k] })) } : fail(n, 'all needs at least one child');
      case 'repeat':
      case 'retry': {
        const times = count(n);
        return times !== undefined && one() ? { type: n.name, kwargs: { times }, children: kids } : undefined;
      }
      case 'wait': {
        if (n.args.length === 0) return { type: 'running' };
        const ms = n.args.length === 1 && typeof n.args[0] === 'number' ? n.args[0] : undefined;
        return ms === undefined ? fail(n, 'wait: only a fixed duration in ms can be carried over') : { type: 'wait', kwargs: { ms } };
      }
      case 'action':
      case 'condition': {
        const [name, ...rest] = n.args;
        if (typeof name !== 'string' || name === '') return fail(n, `${n.name} needs a name`, FormatIssueCode.Invalid);
        return {
          type: 'action',
          args: [/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? { sym: name } : name],
          ...(rest.length ? { kwargs: { args: { list: rest.map(value) } } } : {}),
        };
      }
      case 'branch': {
        const target = n.args[0];
        if (typeof target !== 'string' || !names.has(target)) return fail(n, `branch [${String(target)}]: no root of that name in the file`, FormatIssueCode.Invalid);
        return { type: 'subtree', args: [target] };
      }
      case 'lotto':
        return fail(n, 'lotto picks a child at random; Canopy trees are deterministic (use scoring-selector)');
    }
    return fail(n, `unknown MDSL node '${n.name}'`, FormatIssueCode.Invalid);
  };

  const trees: TreeJson[] = [];
  let main: TreeJson | undefined;
  for (const r of roots) {
    if (r.name !== 'root') {
      fail(r, `expected 'root' at the top level, found '${r.name}'`, FormatIssueCode.Invalid);
      continue;
    }
    if (r.children.length !== 1) {
      fail(r, 'a root takes exactly one child', FormatIssueCode.Invalid);
      continue;
    }
    for (const a of r.attributes) fail(a, `${a.name}(...) on a root: Canopy has no such hooks`);
    const body = convert(r.children[0]);
    if (!body || r.attributes.length > 0) continue;
    const named = r.args.length > 0;
    const tree: TreeJson = { name: named ? String(r.args[0]) : (options.name ?? 'main'), root: body };
    if (!named) {
      if (main) fail(r, 'more than one unnamed root', FormatIssueCode.Invalid);
      main = tree;
    } else trees.push(tree);
  }
  if (!main && roots.length > 0 && !issues.failed) fail(roots[0], 'no unnamed root: the main tree is the root without a name', FormatIssueCode.Invalid);
  if (issues.failed || !main) return { issues: issues.sorted() };
  return { document: { format: 'canopy/1', trees: [main, ...trees] }, issues: issues.sorted() };
}
