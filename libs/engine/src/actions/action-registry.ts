import type { ActionFn, ActionResolver } from '../model/runtime';

type Fallback = ActionResolver | ((name: string) => ActionFn | undefined);

/** Named actions, with an optional fallback that may answer any other name (remote actions). */
export class ActionRegistry implements ActionResolver {
  private readonly fns = new Map<string, ActionFn>();

  constructor(private readonly fallback?: Fallback) {}

  register(name: string, fn: ActionFn): this {
    this.fns.set(name, fn);
    return this;
  }

  resolve(name: string): ActionFn | undefined {
    const own = this.fns.get(name);
    if (own !== undefined || this.fallback === undefined) return own;
    return typeof this.fallback === 'function' ? this.fallback(name) : this.fallback.resolve(name);
  }
}
