import { bootstrapHttpService, httpServiceOptions, loadConfigOrExit } from '@canopy/service-kit';
import { TickRunnerModule } from './app.module';
import { RunnerConfigSchema } from './config';

const config = loadConfigOrExit(RunnerConfigSchema);
void bootstrapHttpService(
  TickRunnerModule.forRoot(config),
  httpServiceOptions(config, { nats: true, redis: true, telemetry: { rootSampleRatio: config.TRACE_SAMPLE_RATIO } }),
);
