import { z } from 'zod';
import { commonEnv, envBool, envInt, envPort } from './env-vars';
import { httpServiceOptions } from '../http/service-options';
import { ConfigError, loadConfig, loadConfigOrExit } from './load-config';

const schema = z.object({
  ...commonEnv('blackboard'),
  PORT: envPort(3002),
  SHARD_COUNT: envInt(64, { min: 1, max: 4096 }),
  HISTORY_ENABLED: envBool(true),
});

describe(loadConfig.name, () => {
  it('runs locally with no configuration at all', () => {
    expect(loadConfig(schema, {})).toEqual({
      SERVICE_NAME: 'blackboard',
      NATS_URL: 'nats://127.0.0.1:4222',
      REDIS_URL: 'redis://127.0.0.1:6379',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      RETRY_AFTER_SECONDS: 5,
      SHUTDOWN_TIMEOUT_MS: 10_000,
      JSON_MAX_DEPTH: 512,
      PORT: 3002,
      SHARD_COUNT: 64,
      HISTORY_ENABLED: true,
    });
  });

  it('parses what is set, and treats empty values as unset', () => {
    const config = loadConfig(schema, {
      NATS_URL: 'nats://a:4222,nats://b:4222',
      PORT: '0',
      SHARD_COUNT: '',
      HISTORY_ENABLED: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
    expect(config).toMatchObject({
      NATS_URL: 'nats://a:4222,nats://b:4222',
      PORT: 0,
      SHARD_COUNT: 64,
      HISTORY_ENABLED: false,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
  });

  it('fails fast naming every bad variable', () => {
    const load = (): unknown =>
      loadConfig(schema, {
        NATS_URL: 'http://localhost:4222',
        PORT: 'eighty',
        SHARD_COUNT: '0',
        REDIS_URL: 'localhost:6379',
        LOG_LEVEL: 'verbose',
        HISTORY_ENABLED: 'yes',
      });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      'Invalid configuration: ' +
        'NATS_URL: must be a nats:// URL; ' +
        'REDIS_URL: must be a redis:// URL; ' +
        'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent; ' +
        'PORT: expected integer; ' +
        'SHARD_COUNT: must be between 1 and 4096; ' +
        'HISTORY_ENABLED: expected true or false',
    );
  });

  it('says "is required" for a variable without a default', () => {
    const strict = z.object({ API_TOKEN: z.string() });
    expect(() => loadConfig(strict, {})).toThrow('Invalid configuration: API_TOKEN: is required');
  });
});

describe(httpServiceOptions.name, () => {
  it('listens on loopback and connects without credentials unless told otherwise', () => {
    const opts = httpServiceOptions(loadConfig(schema, {}), { nats: true, redis: true });
    expect(opts.host).toBe('127.0.0.1');
    expect(opts.nats).toEqual({ url: 'nats://127.0.0.1:4222', jsonMaxDepth: 512 });
    expect(opts.redis).toEqual({ url: 'redis://127.0.0.1:6379' });
  });

  it("passes HOST and the service's NATS and Redis users to the kit", () => {
    const config = loadConfig(schema, {
      HOST: '0.0.0.0',
      NATS_USER: 'blackboard',
      NATS_PASSWORD: 'n-secret',
      REDIS_USERNAME: 'blackboard',
      REDIS_PASSWORD: 'r-secret',
    });
    const opts = httpServiceOptions(config, { nats: true, redis: true });
    expect(opts.host).toBe('0.0.0.0');
    expect(opts.nats).toEqual({
      url: 'nats://127.0.0.1:4222',
      jsonMaxDepth: 512,
      user: 'blackboard',
      password: 'n-secret',
    });
    expect(opts.redis).toEqual({
      url: 'redis://127.0.0.1:6379',
      username: 'blackboard',
      password: 'r-secret',
    });
  });
});

describe(loadConfigOrExit.name, () => {
  it('prints every bad variable and exits with code 1', () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation((() => {
      throw new Error('exited');
    }) as typeof process.exit);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(() => loadConfigOrExit(schema, { PORT: 'x' })).toThrow('exited');
      expect(exit).toHaveBeenCalledWith(1);
      expect(stderr).toHaveBeenCalledWith('Invalid configuration: PORT: expected integer\n');
    } finally {
      exit.mockRestore();
      stderr.mockRestore();
    }
  });
});
