import type { ActionFn, ActionResolver } from '../model/runtime';

type Fallback = ActionResolver | ((name: string) => ActionFn | undefined);

/** A name's registered function, kept up to date by `register` (undefined: none registered). */
export interface ActionCell {
  fn: ActionFn | undefined;
}

/** Named actions, with an optional fallback that may answer any other name (remote actions). */
export class ActionRegistry implements ActionResolver {
  private readonly fns = new Map<string, ActionCell>();

  constructor(private readonly fallback?: Fallback) {}

  register(name: string, fn: ActionFn): this {
    const cell = this.fns.get(name);
    if (cell === undefined) this.fns.set(name, { fn });
    else cell.fn = fn;
    return this;
  }

  resolve(name: string): ActionFn | undefined {
    const own = this.fns.get(name)?.fn;
    return own !== undefined ? own : this.resolveElsewhere(name);
  }

  /**
   * The name's cell, for an action node to keep: a call reads the registered function from it
   * without a lookup, and asks `resolveElsewhere` only when the name has none.
   */
  cell(name: string): ActionCell {
    let cell = this.fns.get(name);
    if (cell === undefined) {
      cell = { fn: undefined };
      this.fns.set(name, cell);
    }
    return cell;
  }

  /** The fallback's answer for a name with no registered function. */
  resolveElsewhere(name: string): ActionFn | undefined {
    const fallback = this.fallback;
    if (fallback === undefined) return undefined;
    return typeof fallback === 'function' ? fallback(name) : fallback.resolve(name);
  }
}
