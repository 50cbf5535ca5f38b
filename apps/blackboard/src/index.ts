// For end-to-end tests that run the blackboard in-process; apps never import each other.
export { BlackboardModule, blackboardServiceOptions } from './service';
export { BlackboardConfigSchema, type BlackboardConfig } from './config';
