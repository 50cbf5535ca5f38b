import type { BreakpointWhen, ReplaceStatus, StepMode } from '@canopy/engine';

/** One line of a debug session, parsed. */
export type Command =
  | { kind: 'break'; nodeId: string; when: BreakpointWhen; once: boolean; condition?: string }
  | { kind: 'replace'; nodeId: string; status: ReplaceStatus; once: boolean; condition?: string }
  | { kind: 'delete'; target?: string }
  | { kind: 'enable' | 'disable'; target: string }
  | { kind: 'watch'; key: string; condition?: string }
  | { kind: 'unwatch'; id: string }
  | { kind: 'step'; mode: StepMode }
  | { kind: 'tick'; count: number }
  | { kind: 'print'; key: string }
  | { kind: 'bb' | 'tree' | 'info' | 'where' | 'help' | 'quit' };

/** A line that is not a command; the session prints it and goes on. */
export class CommandError extends Error {}

const ALIASES: Record<string, string> = {
  b: 'break',
  br: 'break',
  d: 'delete',
  s: 'into',
  step: 'into',
  n: 'over',
  next: 'over',
  fin: 'out',
  finish: 'out',
  c: 'continue',
  cont: 'continue',
  p: 'print',
  blackboard: 'bb',
  list: 'info',
  h: 'help',
  '?': 'help',
  q: 'quit',
  exit: 'quit',
};

const STEPS: readonly string[] = ['into', 'over', 'out', 'continue'];
const REPLACE_STATUSES: readonly string[] = ['SUCCESS', 'FAILURE', 'RUNNING'];

export const HELP = `commands:
  break NODE [before|after] [once] [if EXPR]   stop at a node boundary (default before); b
  tbreak NODE [before|after] [if EXPR]         a breakpoint removed after its first hit
  replace NODE STATUS [once] [if EXPR]         skip the node, it returns SUCCESS|FAILURE|RUNNING
  delete [NODE|BREAKPOINT-ID|WATCH-ID]         remove hooks (all of them without an argument); d
  disable|enable NODE|BREAKPOINT-ID            keep a breakpoint but make it inert, or active again
  watch KEY [if EXPR]                          stop after the node whose write changes KEY
  unwatch WATCH-ID                             remove a watch
  step | into | s                              to the next node boundary (starts a tick between ticks)
  next | over | n                              over the paused node (between ticks: a whole tick)
  finish | out | fin                           until the paused node's parent has returned
  continue | c                                 to the next hit or the end of the tick
  tick [N]                                     N whole ticks (default 1), stopping at hits
  print KEY | p KEY                            a key as the paused node sees it, as JSON
  bb                                           the blackboard scopes (and the paused node's locals)
  tree                                         the tree with ids and statuses, => at the paused node
  info | list                                  breakpoints and watches
  where                                        where the session stands
  help                                         this text
  quit | q                                     leave (end of input also quits)`;

interface Token {
  text: string;
  end: number;
}

/** Undefined for a blank line or a `#` comment. */
export function parseCommand(line: string): Command | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const { args, condition } = split(trimmed);
  const [head, ...rest] = args;
  const name = ALIASES[head] ?? head;
  if (condition !== undefined && !['break', 'tbreak', 'replace', 'watch'].includes(name)) {
    throw new CommandError(`${head} takes no condition`);
  }
  switch (name) {
    case 'break':
    case 'tbreak':
      return breakCommand(name, rest, condition);
    case 'replace':
      return replaceCommand(rest, condition);
    case 'delete':
      return rest.length === 0
        ? { kind: 'delete' }
        : { kind: 'delete', target: one(head, rest, 'NODE or ID') };
    case 'enable':
    case 'disable':
      return { kind: name, target: one(head, rest, 'NODE or BREAKPOINT-ID') };
    case 'watch':
      return withCondition({ kind: 'watch', key: key(one(head, rest, 'KEY')) }, condition);
    case 'unwatch':
      return { kind: 'unwatch', id: one(head, rest, 'WATCH-ID') };
    case 'tick':
      return { kind: 'tick', count: rest.length === 0 ? 1 : count(one(head, rest, 'N')) };
    case 'print':
      return { kind: 'print', key: key(one(head, rest, 'KEY')) };
    case 'bb':
    case 'tree':
    case 'info':
    case 'where':
    case 'help':
    case 'quit':
      none(head, rest);
      return { kind: name };
    default:
      if (STEPS.includes(name)) {
        none(head, rest);
        return { kind: 'step', mode: name as StepMode };
      }
      throw new CommandError(`unknown command '${head}' (try 'help')`);
  }
}

/** Words, with `"quoted ids"` kept whole; everything after a bare `if` is the condition, verbatim. */
function split(line: string): { args: string[]; condition?: string } {
  const tokens: Token[] = [];
  for (const m of line.matchAll(/"(?:[^"\\]|\\.)*"|\S+/g)) {
    const raw = m[0];
    const end = (m.index ?? 0) + raw.length;
    if (raw === 'if' && tokens.length > 0) {
      const condition = line.slice(end).trim();
      if (condition === '') throw new CommandError("'if' needs a condition");
      return { args: tokens.map((t) => t.text), condition };
    }
    tokens.push({ text: raw.startsWith('"') ? unquote(raw) : raw, end });
  }
  return { args: tokens.map((t) => t.text) };
}

function unquote(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    throw new CommandError(`bad quoted text ${raw}`);
  }
}

function breakCommand(name: string, rest: string[], condition: string | undefined): Command {
  const [nodeId, ...opts] = rest;
  if (nodeId === undefined) throw new CommandError(`${name} needs a NODE id (see 'tree')`);
  let when: BreakpointWhen = 'before';
  let once = name === 'tbreak';
  for (const opt of opts) {
    if (opt === 'before' || opt === 'after') when = opt;
    else if (opt === 'once') once = true;
    else throw new CommandError(`${name}: expected before, after, once or if, got '${opt}'`);
  }
  return withCondition({ kind: 'break', nodeId, when, once }, condition);
}

function replaceCommand(rest: string[], condition: string | undefined): Command {
  const [nodeId, status, ...opts] = rest;
  const upper = status?.toUpperCase();
  if (nodeId === undefined || upper === undefined || !REPLACE_STATUSES.includes(upper)) {
    throw new CommandError('replace needs a NODE id and a status: SUCCESS, FAILURE or RUNNING');
  }
  const once = opts.length === 1 && opts[0] === 'once';
  if (opts.length > 0 && !once)
    throw new CommandError(`replace: expected once or if, got '${opts.join(' ')}'`);
  return withCondition(
    { kind: 'replace', nodeId, status: upper as ReplaceStatus, once },
    condition,
  );
}

type Conditional = Extract<Command, { kind: 'break' | 'replace' | 'watch' }>;

function withCondition(command: Conditional, condition: string | undefined): Command {
  return condition === undefined ? command : { ...command, condition };
}

function one(head: string, rest: string[], what: string): string {
  if (rest.length !== 1) throw new CommandError(`${head} takes one ${what}`);
  return rest[0];
}

function none(head: string, rest: string[]): void {
  if (rest.length > 0) throw new CommandError(`${head} takes no arguments`);
}

/** `$battery` as in an expression, or `battery` as in `(set "battery" ...)`: the same key. */
function key(raw: string): string {
  return raw.startsWith('$') ? raw.slice(1) : raw;
}

function count(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new CommandError(`tick N: N must be an integer >= 1, got '${raw}'`);
  return n;
}
