import { bootstrapHttpService, ConfigError, loadConfig } from '@canopy/service-kit';
import { type BlackboardConfig, BlackboardConfigSchema } from './config';
import { BlackboardModule, blackboardServiceOptions } from './service';

function readConfig(): BlackboardConfig {
  try {
    return loadConfig(BlackboardConfigSchema);
  } catch (error) {
    // Fail fast and name every bad variable; nothing is connected yet.
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}

void bootstrapHttpService(BlackboardModule, blackboardServiceOptions(readConfig()));
