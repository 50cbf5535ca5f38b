import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { ShutdownDeadline } from './shutdown-deadline';

const STOP_HOOKS = [
  'onModuleDestroy',
  'beforeApplicationShutdown',
  'onApplicationShutdown',
] as const;

type Hooked = Record<string, unknown>;

/**
 * Lists every provider's and controller's stop hooks in the ShutdownDeadline while they run, so
 * a stop that overruns its deadline names the hooks it was still waiting for (a runner's handover,
 * history's consumer) without each service having to report them.
 */
@Injectable()
export class LifecycleWatch implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly deadline: ShutdownDeadline,
  ) {}

  onApplicationBootstrap(): void {
    const seen = new WeakSet<object>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance: unknown = wrapper.instance;
      if (typeof instance !== 'object' || instance === null || seen.has(instance)) continue;
      seen.add(instance);
      const owner = wrapper.metatype?.name || instance.constructor.name || String(wrapper.token);
      for (const hook of STOP_HOOKS) this.watch(instance as Hooked, hook, `${owner}.${hook}`);
    }
  }

  private watch(instance: Hooked, hook: string, name: string): void {
    const original = instance[hook];
    if (typeof original !== 'function') return;
    const deadline = this.deadline;
    // Nest looks the hook up on the instance when it calls it, so an own property takes over.
    instance[hook] = function (this: unknown, ...args: unknown[]) {
      return deadline.track(name, () =>
        (original as (...a: unknown[]) => unknown).apply(this, args),
      );
    };
  }
}
