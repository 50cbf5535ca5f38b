import { ExprError } from '../expr/expr-error';
import { isMap, typeName } from '../expr/values';

const INDEX = /^\d+$/;

/** Reads nested fields; `undefined` when any step is missing. */
export function getIn(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (Array.isArray(v)) v = INDEX.test(seg) ? v[Number(seg)] : undefined;
    else if (isMap(v)) v = Object.hasOwn(v, seg) ? v[seg] : undefined;
    else return undefined;
  }
  return v;
}

/**
 * Copy-on-write update: values already on the blackboard (and in earlier write records) are
 * never mutated. Missing maps along the path are created.
 */
export function setIn(cur: unknown, path: readonly string[], i: number, value: unknown): unknown {
  const seg = path[i];
  const last = i === path.length - 1;
  if (Array.isArray(cur) && INDEX.test(seg)) {
    const idx = Number(seg);
    if (idx > cur.length) {
      throw new ExprError('EXPR_TYPE', `index ${idx} is past the end of a list of ${cur.length}`);
    }
    const copy = cur.slice();
    copy[idx] = last ? value : setIn(cur[idx], path, i + 1, value);
    return copy;
  }
  if (cur === undefined || cur === null || isMap(cur)) {
    const base: Record<string, unknown> = cur ? { ...cur } : {};
    base[seg] = last
      ? value
      : setIn(cur && Object.hasOwn(cur, seg) ? cur[seg] : undefined, path, i + 1, value);
    return base;
  }
  throw new ExprError('EXPR_TYPE', `cannot set field '${seg}' of a ${typeName(cur)}`);
}

/** Copy-on-write removal; returns `cur` itself when there is nothing to remove. */
export function deleteIn(cur: unknown, path: readonly string[], i: number): unknown {
  const seg = path[i];
  const last = i === path.length - 1;
  if (Array.isArray(cur)) {
    if (!INDEX.test(seg) || Number(seg) >= cur.length) return cur;
    const idx = Number(seg);
    const copy = cur.slice();
    if (last) copy.splice(idx, 1);
    else {
      const child = deleteIn(cur[idx], path, i + 1);
      if (child === cur[idx]) return cur;
      copy[idx] = child;
    }
    return copy;
  }
  if (!isMap(cur) || !Object.hasOwn(cur, seg)) return cur;
  if (last) {
    const copy = { ...cur };
    delete copy[seg];
    return copy;
  }
  const child = deleteIn(cur[seg], path, i + 1);
  return child === cur[seg] ? cur : { ...cur, [seg]: child };
}
