// For end-to-end tests that run the gateway in-process; apps never import each other.
export { createGateway } from './service';
export { GatewayConfigSchema, type GatewayConfig } from './config';
