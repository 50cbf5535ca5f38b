export { ActionWorker, type ActionWorkerOptions } from './action-worker';
export type { ActionContext, ActionHandler, ActionOutcome } from './action-handler';
