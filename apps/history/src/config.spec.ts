import { ConfigError, loadConfig } from '@canopy/service-kit';
import { HistoryConfigSchema } from './config';

describe('HistoryConfigSchema', () => {
  it('runs locally with no configuration', () => {
    expect(loadConfig(HistoryConfigSchema, {})).toMatchObject({
      PORT: 3003,
      HISTORY_KEYFRAME_EVERY: 50,
      HISTORY_RETAIN_TICKS: 1000,
      HISTORY_RETAIN_MS: 7 * 24 * 60 * 60 * 1000,
      HISTORY_BATCH: 100,
      HISTORY_ACK_WAIT_MS: 3000,
      HISTORY_CONSUME: true,
    });
  });

  it('names every bad variable', () => {
    const load = () =>
      loadConfig(HistoryConfigSchema, {
        HISTORY_KEYFRAME_EVERY: '0',
        HISTORY_RETAIN_TICKS: 'many',
      });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      /HISTORY_KEYFRAME_EVERY: must be between 1 and 5000; HISTORY_RETAIN_TICKS: expected integer/,
    );
  });
});
