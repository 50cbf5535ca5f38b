import { bootstrapHttpService, ConfigError, loadConfig } from '@canopy/service-kit';
import { createLogger } from '@canopy/telemetry';
import { tickRunnerModule } from './app.module';
import { RunnerConfigSchema, type RunnerConfig } from './config';

function readConfig(): RunnerConfig {
  try {
    return loadConfig(RunnerConfigSchema);
  } catch (error) {
    // Fail fast naming every bad variable; nothing is connected yet.
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}

const config = readConfig();
void bootstrapHttpService(tickRunnerModule(config), {
  serviceName: config.SERVICE_NAME,
  port: config.PORT,
  nats: { url: config.NATS_URL },
  redis: { url: config.REDIS_URL },
  logger: createLogger(config.SERVICE_NAME, { level: config.LOG_LEVEL }),
});
