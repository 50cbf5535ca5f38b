// For end-to-end tests that run the history service in-process; apps never import each other.
export { createHistory, historyServiceOptions } from './service';
export { historyAppModule } from './history.module';
export { HistoryConfigSchema, type HistoryConfig } from './config';
