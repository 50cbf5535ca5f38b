import type { ExprJson } from '@canopy/engine';

/**
 * A BT.CPP port value as a Canopy expression: `{key}` reads the blackboard, `{=}` the key with the
 * port's own name, `{@key}` the root blackboard (the execution scope); anything else is the literal
 * string (BT.CPP converts strings per port type, which only the node knows).
 */
export function portValue(port: string, value: string): ExprJson {
  const ref = /^\{(@?)([^{}]*)\}$/.exec(value.trim());
  if (!ref) return value;
  const [, root, key] = ref;
  const name = key === '=' ? port : key;
  return { $: root ? `exec:${name}` : name };
}

/** A number port (`num_cycles`, `msec`...): a number, or a blackboard read. */
export function numberPort(value: string): ExprJson | undefined {
  const trimmed = value.trim();
  if (/^\{@?[^{}]+\}$/.test(trimmed)) return portValue('', trimmed);
  if (!/^-?\d+(\.\d+)?$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

/**
 * BT.CPP scripts (`Script code="..."`) carried over when every statement assigns a literal:
 * `key := 'text'`, `key := 3.14`, `key := true`, `@key = ...`. Anything more (expressions, enums)
 * has no translation here: undefined.
 */
export function scriptAssignments(code: string): { key: string; value: ExprJson }[] | undefined {
  const out: { key: string; value: ExprJson }[] = [];
  for (const raw of statements(code)) {
    const statement = raw.trim();
    if (statement === '') continue;
    const m = /^(@?)([A-Za-z_][\w/]*)\s*:?=\s*(.+)$/.exec(statement);
    if (!m) return undefined;
    const [, root, key, text] = m;
    const value = scriptLiteral(text.trim());
    if (value === undefined) return undefined;
    out.push({ key: root ? `exec:${key}` : key, value });
  }
  return out.length > 0 ? out : undefined;
}

function scriptLiteral(text: string): ExprJson | undefined {
  const quoted = /^'([^']*)'$/.exec(text) ?? /^"([^"]*)"$/.exec(text);
  if (quoted) return quoted[1];
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return undefined;
}

/** A key written bare or as `{key}`; `@key` is the root blackboard (the execution scope). */
export function keyOf(text: string): string {
  const bare = text.trim().replace(/^\{(.*)\}$/, '$1');
  return bare.startsWith('@') ? `exec:${bare.slice(1)}` : bare;
}

/** `;`-separated statements; a `;` inside a quoted string belongs to the string. */
function statements(code: string): string[] {
  const out: string[] = [];
  let quote = '';
  let start = 0;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') quote = c;
    else if (c === ';') {
      out.push(code.slice(start, i));
      start = i + 1;
    }
  }
  out.push(code.slice(start));
  return out;
}
