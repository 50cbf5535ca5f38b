import { TracedNats } from '@canopy/telemetry';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { Logger } from 'pino';

export interface NatsConnectOptions {
  /** One URL or a comma-separated list. */
  url: string;
  /** Connection name, shown by the server's monitoring (`/connz`). */
  name: string;
  logger: Logger;
  /** How long the first connection may take before boot fails. Default 5 s. */
  connectTimeoutMs?: number;
  /** Handled payloads nested deeper are answered NESTING_TOO_DEEP (JSON_MAX_DEPTH). */
  jsonMaxDepth?: number;
}

/**
 * Connects to NATS and wraps the connection (with a JetStream client) in TracedNats.
 * The first connect fails fast: a wrong URL should stop the boot loudly, and the orchestrator
 * restarts us. Once connected, it reconnects forever: a NATS restart must not kill services.
 */
export async function connectNats(opts: NatsConnectOptions): Promise<TracedNats> {
  const nc = await connect({
    servers: opts.url.split(',').map((url) => url.trim()),
    name: opts.name,
    timeout: opts.connectTimeoutMs ?? 5000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    // A silent dead link is noticed within ~30 s instead of the client default of minutes.
    pingInterval: 10_000,
    maxPingOut: 3,
  });
  opts.logger.info({ server: nc.getServer() }, 'connected to NATS');
  void logStatus(nc, opts.logger);
  return new TracedNats(nc, jetstream(nc), {
    logger: opts.logger,
    jsonMaxDepth: opts.jsonMaxDepth,
  });
}

async function logStatus(nc: NatsConnection, logger: Logger): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === 'disconnect') logger.warn({ server: status.server }, 'NATS disconnected');
    else if (status.type === 'reconnect')
      logger.info({ server: status.server }, 'NATS reconnected');
    else if (status.type === 'error') logger.error({ err: status.error }, 'NATS error');
  }
}
