import type { ActionFn, ActionResolver } from '../model/runtime';

/** Named actions, with an optional fallback that may answer any other name (remote actions). */
export class ActionRegistry implements ActionResolver {
  private readonly fns = new Map<string, ActionFn>();

  constructor(private readonly fallback?: ActionResolver) {}

  register(name: string, fn: ActionFn): this {
    this.fns.set(name, fn);
    return this;
  }

  resolve(name: string): ActionFn | undefined {
    return this.fns.get(name) ?? this.fallback?.resolve(name);
  }
}
