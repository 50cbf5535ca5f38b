/** The runner as a library: e2e tests and tools can start one in-process. */
export { TickRunner, type TickRunnerDeps, type TickRunnerOptions, type RunnerStatus } from './runner';
export { TickRunnerModule } from './app.module';
export { RunnerConfigSchema, type RunnerConfig } from './config';
