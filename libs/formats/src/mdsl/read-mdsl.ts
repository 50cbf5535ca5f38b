import { FormatIssueCode, type IssueList, type Position } from '../issues';

/** An MDSL argument: a literal, or `$name` (a property of the agent). */
export type MdslArg = string | number | boolean | null | { ref: string };

/** `name [args] attribute(args)... { children }` with the position of its name. */
export interface MdslNode {
  name: string;
  args: MdslArg[];
  attributes: { name: string; args: MdslArg[]; at: Position }[];
  children: MdslNode[];
  /** Whether the node had a `{...}` block (a leaf never has one). */
  block: boolean;
  at: Position;
}

interface Token {
  kind: 'punct' | 'word' | 'string' | 'number' | 'ref' | 'end';
  text: string;
  at: Position;
}

/**
 * Reads mistreevous MDSL into nodes with positions. mistreevous' own parser gives no positions,
 * and every issue here must name its line and column, so this small reader follows its grammar:
 * definitions are `root [name]? { node }`; a node is a name, optional `[args]`, optional
 * `attribute(args)` guards and callbacks, and an optional `{ children }`; comments are `/* *\/`.
 */
export function readMdsl(text: string, file: string, issues: IssueList): MdslNode[] | undefined {
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch (error) {
    const e = error as SyntaxAt;
    issues.error(file, e.at, FormatIssueCode.Syntax, e.message);
    return undefined;
  }
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const expect = (text: string): Token => {
    const t = next();
    if (t.text !== text || (t.kind !== 'punct' && t.kind !== 'end')) throw new SyntaxAt(`expected '${text}', found ${describe(t)}`, t.at);
    return t;
  };
  const args = (close: string): MdslArg[] => {
    const out: MdslArg[] = [];
    while (peek().text !== close || peek().kind !== 'punct') {
      const t = next();
      if (t.kind === 'string') out.push(t.text);
      else if (t.kind === 'number') out.push(Number(t.text));
      else if (t.kind === 'ref') out.push({ ref: t.text });
      else if (t.kind === 'word' && (t.text === 'true' || t.text === 'false')) out.push(t.text === 'true');
      else if (t.kind === 'word' && t.text === 'null') out.push(null);
      else if (t.kind === 'word') out.push(t.text);
      else throw new SyntaxAt(`unexpected ${describe(t)} in arguments`, t.at);
      if (peek().text === ',' && peek().kind === 'punct') next();
    }
    next();
    return out;
  };
  const node = (): MdslNode => {
    const head = next();
    if (head.kind !== 'word') throw new SyntaxAt(`expected a node, found ${describe(head)}`, head.at);
    const n: MdslNode = { name: head.text, args: [], attributes: [], children: [], block: false, at: head.at };
    if (peek().kind === 'punct' && peek().text === '[') {
      next();
      n.args = args(']');
    }
    while (peek().kind === 'word' && tokens[i + 1]?.text === '(') {
      const a = next();
      next();
      n.attributes.push({ name: a.text, args: args(')'), at: a.at });
    }
    if (peek().kind === 'punct' && peek().text === '{') {
      next();
      n.block = true;
      while (!(peek().kind === 'punct' && peek().text === '}')) {
        if (peek().kind === 'end') throw new SyntaxAt("expected '}' before the end of the file", peek().at);
        n.children.push(node());
      }
      next();
    }
    return n;
  };
  try {
    const roots: MdslNode[] = [];
    while (peek().kind !== 'end') roots.push(node());
    expect('');
    return roots;
  } catch (error) {
    if (!(error instanceof SyntaxAt)) throw error;
    issues.error(file, error.at, FormatIssueCode.Syntax, error.message);
    return undefined;
  }
}

class SyntaxAt extends Error {
  constructor(
    message: string,
    readonly at: Position,
  ) {
    super(message);
  }
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'the end of the file' : `'${t.text}'`;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const at = (offset: number): Position => ({ line, column: offset - lineStart + 1 });
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
    } else if (/\s/.test(c)) i++;
    else if (c === '/' && text[i + 1] === '*') {
      const start = at(i);
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new SyntaxAt('unterminated comment', start);
      for (let j = i; j < end; j++) if (text[j] === '\n') {
        line++;
        lineStart = j + 1;
      }
      i = end + 2;
    } else if ('{}[](),'.includes(c)) {
      out.push({ kind: 'punct', text: c, at: at(i) });
      i++;
    } else if (c === '"' || c === "'") {
      const start = at(i);
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\n') throw new SyntaxAt('unterminated string', start);
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j];
        j++;
      }
      if (j >= text.length) throw new SyntaxAt('unterminated string', start);
      out.push({ kind: 'string', text: value, at: start });
      i = j + 1;
    } else {
      const m = /^(\$?)([^\s{}[\](),"']+)/.exec(text.slice(i));
      if (!m) throw new SyntaxAt(`unexpected '${c}'`, at(i));
      const kind = m[1] ? 'ref' : /^-?\d+(\.\d+)?$/.test(m[2]) ? 'number' : 'word';
      out.push({ kind, text: m[2], at: at(i) });
      i += m[0].length;
    }
  }
  out.push({ kind: 'end', text: '', at: at(i) });
  return out;
}
