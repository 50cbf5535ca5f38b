import { bootstrapHttpService, loadConfigOrExit } from '@canopy/service-kit';
import { HistoryConfigSchema } from './config';
import { HistoryModule } from './history.module';
import { historyServiceOptions } from './service';

const config = loadConfigOrExit(HistoryConfigSchema);
void bootstrapHttpService(HistoryModule.forRoot(config), historyServiceOptions(config));
