// For tests that run the blackboard in-process next to another service; apps never import each other.
export { BlackboardModule, blackboardServiceOptions } from './service';
export { BlackboardConfigSchema, type BlackboardConfig } from './config';
