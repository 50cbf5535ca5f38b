import { DiscardPolicy, RetentionPolicy, StorageType, jetstreamManager, type StreamConfig } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { Streams } from '@canopy/contracts';
import type { Log } from '../log';

const NANOS_PER_MS = 1_000_000;
const MINUTE_MS = 60_000;

type StreamSpec = Partial<StreamConfig> & { name: string };

/**
 * CANOPY_TICKS: the durable record of every tick, read by the history service. File storage (it
 * must survive a NATS restart) and a 2-minute dedup window keyed by `<execId>:<tick>`, so a
 * publish retried after a lost ack, or replayed by a runner resuming a shard, is stored once.
 */
export const TICKS_STREAM: StreamSpec = {
  name: Streams.ticks.name,
  subjects: [...Streams.ticks.subjects],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  duplicate_window: 2 * MINUTE_MS * NANOS_PER_MS,
  max_age: 7 * 24 * 60 * MINUTE_MS * NANOS_PER_MS,
};

/**
 * CANOPY_EVENTS: the live feed (several events per tick) for watchers. Memory storage with a short
 * max age, lossy by design: everything in it is derived from CANOPY_TICKS, which is durable and
 * exactly once, so a NATS restart loses only what can be rebuilt from the tick records, while the
 * hottest subject stays off the disk. Runners re-create it when NATS comes back (the outbox calls
 * `ensureStreams` on every reconnect). The age and byte caps bound memory and still let a
 * reconnecting client replay the last minutes.
 */
export const EVENTS_STREAM: StreamSpec = {
  name: Streams.events.name,
  subjects: [...Streams.events.subjects],
  storage: StorageType.Memory,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  max_age: 10 * MINUTE_MS * NANOS_PER_MS,
  max_bytes: 256 * 1024 * 1024,
  duplicate_window: MINUTE_MS * NANOS_PER_MS,
};

/** Creates the streams if missing. An existing stream is left as configured (operators may tune it). */
export async function ensureStreams(nc: NatsConnection, log: Log): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const config of [TICKS_STREAM, EVENTS_STREAM]) {
    const { name } = config;
    try {
      await jsm.streams.info(name);
    } catch {
      try {
        await jsm.streams.add(config);
        log.info({ stream: name }, 'stream created');
      } catch (error) {
        // Another runner created it meanwhile.
        await jsm.streams.info(name).catch(() => {
          throw error;
        });
      }
    }
  }
}
