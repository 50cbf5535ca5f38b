// For tests that run the history service in-process next to another service; apps never import each other.
export { createHistory } from './service';
export { HistoryConfigSchema, type HistoryConfig } from './config';
