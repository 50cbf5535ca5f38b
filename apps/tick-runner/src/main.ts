import { bootstrapHttpService, loadConfigOrExit } from '@canopy/service-kit';
import { createLogger } from '@canopy/telemetry';
import { tickRunnerModule } from './app.module';
import { RunnerConfigSchema } from './config';

const config = loadConfigOrExit(RunnerConfigSchema);
void bootstrapHttpService(tickRunnerModule(config), {
  serviceName: config.SERVICE_NAME,
  port: config.PORT,
  nats: { url: config.NATS_URL },
  redis: { url: config.REDIS_URL },
  logger: createLogger(config.SERVICE_NAME, { level: config.LOG_LEVEL }),
});
