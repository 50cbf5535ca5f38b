import { inboxPrefixOf } from '@canopy/contracts';
import { TracedNats } from '@canopy/telemetry';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { Logger } from 'pino';

/** Where NATS is and who this service is there. */
export interface NatsEndpoint {
  /** One URL or a comma-separated list. */
  url: string;
  /**
   * This service's NATS user (NATS_USER/NATS_PASSWORD). Its inboxes are then `_INBOX.<user>.…`
   * (`inboxPrefixOf`), the only reply subjects its permissions let it subscribe to. Unset: no
   * credentials and the client's default inboxes, as against an unauthenticated server.
   */
  user?: string;
  password?: string;
}

export interface NatsConnectOptions extends NatsEndpoint {
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
    ...(opts.user === undefined
      ? {}
      : { user: opts.user, pass: opts.password, inboxPrefix: inboxPrefixOf(opts.user) }),
    timeout: opts.connectTimeoutMs ?? 5000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    // A silent dead link is noticed within ~30 s instead of the client default of minutes.
    pingInterval: 10_000,
    maxPingOut: 3,
  });
  opts.logger.info({ server: nc.getServer(), user: opts.user }, 'connected to NATS');
  void logStatus(nc, opts.logger);
  return new TracedNats(nc, jetstream(nc), {
    logger: opts.logger,
    ...(opts.user === undefined ? {} : { inboxPrefix: inboxPrefixOf(opts.user) }),
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
