import { bootstrapHttpService, loadConfigOrExit } from '@canopy/service-kit';
import { HistoryConfigSchema } from './config';
import { historyAppModule } from './history.module';
import { historyServiceOptions } from './service';

const config = loadConfigOrExit(HistoryConfigSchema);
void bootstrapHttpService(historyAppModule(config), historyServiceOptions(config));
