import { commonEnv, envPort } from '@canopy/service-kit';
import { z } from 'zod';

/** The blackboard's environment: NATS and Redis (common), and the port of /healthz and /readyz. */
export const BlackboardConfigSchema = z.object({
  ...commonEnv('blackboard'),
  PORT: envPort(3002),
});
export type BlackboardConfig = z.infer<typeof BlackboardConfigSchema>;

/** Injection token of the validated config. */
export const BLACKBOARD_CONFIG = Symbol('canopy.blackboard.config');
