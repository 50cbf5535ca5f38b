import { startStack, type Stack, type StackOptions } from '@canopy/testing';

/** RUNNER_ID of the e2e stack's runner `i` (from 1): tick records name their runner. */
export const runnerId = (i: number) => `e2e-runner-${i}`;

/** The services as processes, as `npm start` runs them, with the e2e runner ids. */
export function startE2eStack(opts: StackOptions = {}): Promise<Stack> {
  return startStack({ label: 'e2e', runnerId, logLevel: process.env.E2E_LOG_LEVEL, ...opts });
}
