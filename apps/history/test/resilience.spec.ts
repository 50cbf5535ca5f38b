import { Consumers, RedisKeys, Streams, Subjects } from '@canopy/contracts';
import { jetstreamManager } from '@nats-io/jetstream';
import Redis from 'ioredis';
import { call, consumerIdle, EngineRun, publish, useStack, waitFor } from './harness';
import { PATROL } from './trees';

jest.setTimeout(90_000);

describe('history: a Redis outage', () => {
  const fx = useStack({
    trees: [PATROL],
    appendonly: true,
    history: { HISTORY_KEYFRAME_EVERY: '4' },
  });

  it('holds the records it cannot store unacknowledged, and stores them once Redis is back', async () => {
    const run = new EngineRun('outage', PATROL, { exec: { count: 0, flag: 'initial' } });
    await publish(fx.stack, run.run(5));
    await consumerIdle(fx.stack);

    await fx.stack.redis.stop();
    await publish(fx.stack, run.run(10));
    // History has every new record in hand, unacknowledged: nothing is lost while it retries.
    const jsm = await jetstreamManager(fx.stack.client.connection);
    await waitFor('history to hold the new records unacknowledged', async () => {
      const info = await jsm.consumers.info(Streams.ticks.name, Consumers.history);
      return info.num_pending === 0 && info.num_ack_pending === 10;
    });

    await fx.stack.redis.restart();
    await consumerIdle(fx.stack, 30_000);
    const redis = new Redis(fx.stack.redis.url);
    try {
      expect(await redis.hlen(RedisKeys.historyRecords(run.execId))).toBe(15);
    } finally {
      redis.disconnect();
    }
    for (let tick = 1; tick <= 15; tick++) {
      const state = await call(fx.stack, Subjects.historyGet, { id: run.execId, tick });
      expect({ tick, statuses: state.statuses }).toEqual({
        tick,
        statuses: run.states[tick].statuses,
      });
      expect({ tick, exec: state.blackboard.exec }).toEqual({
        tick,
        exec: run.states[tick].blackboard.exec,
      });
    }
  });
});
