import { execFileSync } from 'node:child_process';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import Redis from 'ioredis';
import { GatewayApi, startNats, startRedis, startStack } from './index';
import { containerImages } from './lib/containers';

/** The images are there (scripts/docker-base-images.sh) and a Docker engine answers. */
function dockerWithImages(): boolean {
  try {
    const { nats, redis } = containerImages();
    execFileSync('docker', ['image', 'inspect', nats, redis], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

const containerIds = (image: string) =>
  execFileSync('docker', ['ps', '-aq', '--filter', `ancestor=${image}`], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);

// CI has no Docker: there the fallback cannot run, and these tests say so by being skipped.
const describeWithDocker = dockerWithImages() ? describe : describe.skip;

describeWithDocker('the container fallback (CANOPY_TEST_INFRA=containers)', () => {
  const saved = process.env.CANOPY_TEST_INFRA;
  beforeAll(() => {
    process.env.CANOPY_TEST_INFRA = 'containers';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.CANOPY_TEST_INFRA;
    else process.env.CANOPY_TEST_INFRA = saved;
  });

  it('runs NATS with JetStream in a container: streams survive restart(), dispose() removes it', async () => {
    const before = containerIds(containerImages().nats);
    const nats = await startNats();
    try {
      expect(nats.pid).toBeUndefined(); // no process of ours: a container
      expect(containerIds(containerImages().nats).length).toBe(before.length + 1);
      const nc = await connect({ servers: nats.url });
      await (await jetstreamManager(nc)).streams.add({ name: 'KEPT', subjects: ['kept.>'] });
      await nc.close();
      await nats.restart();
      const again = await connect({ servers: nats.url });
      const info = await (await jetstreamManager(again)).streams.info('KEPT');
      expect(info.config.subjects).toEqual(['kept.>']);
      await again.close();
    } finally {
      await nats.dispose();
    }
    expect(containerIds(containerImages().nats)).toEqual(before);
  });

  it('runs Redis in a container with ACL users and the AOF across restart()', async () => {
    const redis = await startRedis({
      appendonly: true,
      acl: [
        ['default', 'on', 'nopass', '~*', '+@all'],
        ['svc', 'on', '>pw', '~svc:*', '+@all'],
      ],
    });
    try {
      const svc = new Redis(redis.url, {
        username: 'svc',
        password: 'pw',
        maxRetriesPerRequest: 1,
      });
      await svc.set('svc:k', 'kept');
      await expect(svc.set('other:k', 'x')).rejects.toThrow(/NOPERM/);
      svc.disconnect();
      await redis.restart();
      const again = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      expect(await again.get('svc:k')).toBe('kept');
      again.disconnect();
    } finally {
      await redis.dispose();
    }
  });

  it('runs a whole stack on them: a tree registered and ticked through the gateway', async () => {
    const stack = await startStack({ history: false, label: 'containers' });
    try {
      const api = new GatewayApi(stack.gateway.url);
      await api.registerTree('(tree "in-containers" (sequence (set "n" 1) (success)))');
      await api.createExecution({ tree: 'in-containers', id: 'c1' });
      const ticked = await api.ok(
        api.post<{ tick: number; status: string }>('/executions/c1/tick'),
      );
      expect(ticked).toMatchObject({ tick: 1, status: 'SUCCESS' });
    } finally {
      await stack.dispose();
    }
  }, 180_000);
});
