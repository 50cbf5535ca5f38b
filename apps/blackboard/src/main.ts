import { bootstrapHttpService, loadConfigOrExit } from '@canopy/service-kit';
import { BlackboardConfigSchema } from './config';
import { BlackboardModule, blackboardServiceOptions } from './service';

const config = loadConfigOrExit(BlackboardConfigSchema);
void bootstrapHttpService(BlackboardModule.forRoot(config), blackboardServiceOptions(config));
