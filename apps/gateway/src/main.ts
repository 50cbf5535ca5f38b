import { bootstrapHttpService, loadConfigOrExit } from '@canopy/service-kit';
import { GatewayConfigSchema } from './config';
import { GatewayModule } from './gateway.module';
import { gatewayServiceOptions } from './service';

const config = loadConfigOrExit(GatewayConfigSchema);
void bootstrapHttpService(GatewayModule.forRoot(config), gatewayServiceOptions(config));
