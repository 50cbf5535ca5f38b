import { ConfigError, loadConfig } from '@canopy/service-kit';
import { createLogger } from '@canopy/telemetry';
import { type GatewayConfig, GatewayConfigSchema } from './config';
import { createGateway } from './service';

function readConfig(): GatewayConfig {
  try {
    return loadConfig(GatewayConfigSchema);
  } catch (error) {
    // Fail fast and name every bad variable; nothing is connected yet.
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.SERVICE_NAME, { level: config.LOG_LEVEL });
  try {
    const app = await createGateway(config, logger);
    await app.listen({ port: config.PORT, host: '0.0.0.0' });
    logger.info({ url: await app.getUrl(), docs: '/docs' }, 'gateway listening');
  } catch (error) {
    logger.fatal({ err: error }, 'gateway failed to start');
    process.exit(1);
  }
}

void main();
