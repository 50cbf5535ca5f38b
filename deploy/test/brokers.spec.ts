/**
 * The broker users the deployments ship against their one source, libs/contracts'
 * broker-access.ts: deploy/nats/auth.conf (compose) and the k8s ConfigMap nats-config equal the
 * rendered NATS configuration; redis' `--user` arguments in compose and k8s equal the rendered ACL
 * rules; each service logs in as its own user with the password variable the broker reads; and
 * the shipped configuration works on real servers (who is refused what is e2e's
 * broker-permissions spec).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  brokerPasswordVariable,
  deployedNatsConfig,
  deployedRedisAclArgs,
  REDIS_DEFAULT_PASSWORD_VARIABLE,
  NATS_SERVICES,
  REDIS_SERVICES,
  inboxPrefixOf,
  Subjects,
} from '@canopy/contracts';
import { type NatsHandle, type RedisHandle, startNats, startRedis, waitFor } from '@canopy/testing';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import Redis from 'ioredis';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';

const ROOT = join(__dirname, '..', '..');
const readText = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const NATS_CONF = 'deploy/nats/auth.conf';
const CONF_MOUNT = '/etc/nats/auth.conf';
const SECRET = 'canopy-broker-credentials';
const composeSecret = (variable: string) => `\${${variable}:?see README.md Deployment}`;
const k8sSecret = (variable: string) => `$(${variable})`;

// ------------------------------------------------------------------------------------------------
// The files, loosely parsed: only what this test reads.

const Env = z.record(z.string(), z.union([z.string(), z.number()]).transform(String));
const compose = z
  .looseObject({
    services: z.record(
      z.string(),
      z.looseObject({
        command: z.array(z.string()).default([]),
        environment: Env.default({}),
        volumes: z.array(z.string()).default([]),
      }),
    ),
  })
  .parse(parse(readText('docker-compose.yml'), { merge: true }));

const EnvVar = z.looseObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .looseObject({ secretKeyRef: z.looseObject({ name: z.string(), key: z.string() }).optional() })
    .optional(),
});
const Container = z.looseObject({
  name: z.string(),
  args: z.array(z.string()).default([]),
  env: z.array(EnvVar).default([]),
  volumeMounts: z.array(z.looseObject({ name: z.string(), mountPath: z.string() })).default([]),
});
const k8s = ['nats', 'redis', ...NATS_SERVICES, 'configmap'].flatMap((file) =>
  parseAllDocuments(readText(`deploy/k8s/${file}.yaml`)).map(
    (doc) => doc.toJS() as { kind: string; metadata: { name: string } },
  ),
);
const workload = (name: string) => {
  const found = k8s.find(
    (o) => ['Deployment', 'StatefulSet'].includes(o.kind) && o.metadata.name === name,
  );
  return z
    .looseObject({
      spec: z.looseObject({
        template: z.looseObject({
          spec: z.looseObject({
            containers: z.array(Container),
            volumes: z
              .array(
                z.looseObject({
                  name: z.string(),
                  configMap: z.looseObject({ name: z.string() }).optional(),
                }),
              )
              .default([]),
          }),
        }),
      }),
    })
    .parse(found).spec.template.spec;
};
const configMap = (name: string) =>
  z
    .looseObject({ data: z.record(z.string(), z.string()) })
    .parse(k8s.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name)).data;

/** A container's variables: plain values as they are, Secret keys as `secret:<name>/<key>`. */
function k8sEnv(container: z.infer<typeof Container>): Record<string, string> {
  return Object.fromEntries(
    container.env.map((v) => {
      const ref = v.valueFrom?.secretKeyRef;
      return [v.name, ref ? `secret:${ref.name}/${ref.key}` : (v.value ?? '')];
    }),
  );
}

/** The `--user …` groups of a redis-server command line. */
function aclArgs(args: string[]): string[] {
  const first = args.indexOf('--user');
  return first < 0 ? [] : args.slice(first);
}

const withoutComments = (text: string) =>
  text
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');

/** `$NAME` references in a NATS configuration (outside quotes). */
const natsVariables = (text: string) =>
  [...text.matchAll(/^\s*password: \$(\w+)$/gm)].map((m) => m[1]).sort();

// ================================================================================================

describe('NATS users', () => {
  const expected = deployedNatsConfig();

  it(`${NATS_CONF} and the k8s ConfigMap nats-config equal the rendered configuration`, () => {
    expect(withoutComments(readText(NATS_CONF))).toBe(expected);
    expect(configMap('nats-config')['auth.conf']).toBe(expected);
  });

  it('the servers load it and get every password it refers to', () => {
    const variables = NATS_SERVICES.map((s) => brokerPasswordVariable('nats', s)).sort();
    expect(natsVariables(expected)).toEqual(variables);

    const { nats } = compose.services;
    expect(nats.command.join(' ')).toMatch(new RegExp(`(^| )-c ${CONF_MOUNT}( |$)`));
    expect(nats.volumes).toContain(`./${NATS_CONF}:${CONF_MOUNT}:ro`);
    expect(nats.environment).toEqual(
      Object.fromEntries(variables.map((v) => [v, composeSecret(v)])),
    );

    const pod = workload('nats');
    const [container] = pod.containers;
    expect(container.args.join(' ')).toMatch(new RegExp(`(^| )-c ${CONF_MOUNT}( |$)`));
    const mount = container.volumeMounts.find((m) => `${m.mountPath}/auth.conf` === CONF_MOUNT);
    expect(pod.volumes.find((v) => v.name === mount?.name)?.configMap?.name).toBe('nats-config');
    expect(k8sEnv(container)).toEqual(
      Object.fromEntries(variables.map((v) => [v, `secret:${SECRET}/${v}`])),
    );
  });

  it.each([...NATS_SERVICES])('%s logs in as its own NATS user', (service) => {
    const variable = brokerPasswordVariable('nats', service);
    expect(compose.services[service].environment).toMatchObject({
      NATS_USER: service,
      NATS_PASSWORD: composeSecret(variable),
    });
    expect(k8sEnv(workload(service).containers[0])).toMatchObject({
      NATS_USER: service,
      NATS_PASSWORD: `secret:${SECRET}/${variable}`,
    });
  });

  describe('on a real nats-server', () => {
    let nats: NatsHandle;
    const connections: NatsConnection[] = [];
    const password = (service: string) => `pw-${service}`;

    beforeAll(async () => {
      // The server reads the passwords from its environment, as in the containers.
      const env = Object.fromEntries(
        NATS_SERVICES.map((service) => [
          brokerPasswordVariable('nats', service),
          password(service),
        ]),
      );
      nats = await startNats({ config: readText(NATS_CONF), env });
    });

    afterAll(async () => {
      await Promise.allSettled(connections.map((nc) => nc.close()));
      await nats?.dispose();
    });

    it('lets each service in with its password and refuses the gateway a blackboard change', async () => {
      for (const service of NATS_SERVICES) {
        const nc = await connect({
          servers: nats.url,
          user: service,
          pass: password(service),
          inboxPrefix: inboxPrefixOf(service),
        });
        connections.push(nc);
        await nc.flush();
      }
      const gateway = connections[NATS_SERVICES.indexOf('gateway')];
      const refused = (async () => {
        for await (const status of gateway.status()) {
          if (status.type === 'error') return status.error.message;
        }
        return 'closed';
      })();
      gateway.publish(Subjects.bbChanged('global'), '{}');
      expect(await refused).toMatch(
        /Permissions Violation for Publish to "canopy\.bb\.global\.changed"/i,
      );
    });

    it('refuses a client without credentials', async () => {
      await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(
        /Authorization/i,
      );
    });
  });
});

describe('Redis users', () => {
  it('compose and k8s pass redis-server the rendered ACL rules', () => {
    expect(aclArgs(compose.services.redis.command)).toEqual(deployedRedisAclArgs(composeSecret));
    const [container] = workload('redis').containers;
    expect(aclArgs(container.args)).toEqual(deployedRedisAclArgs(k8sSecret));
    const variables = [
      REDIS_DEFAULT_PASSWORD_VARIABLE,
      ...REDIS_SERVICES.map((s) => brokerPasswordVariable('redis', s)),
    ];
    expect(k8sEnv(container)).toEqual(
      Object.fromEntries(variables.map((v) => [v, `secret:${SECRET}/${v}`])),
    );
  });

  it.each([...NATS_SERVICES])('%s logs in as its own Redis user, if it uses Redis', (service) => {
    const usesRedis = (REDIS_SERVICES as readonly string[]).includes(service);
    const variable = brokerPasswordVariable('redis', service);
    const composeEnv = compose.services[service].environment;
    const podEnv = k8sEnv(workload(service).containers[0]);
    if (usesRedis) {
      expect(composeEnv).toMatchObject({
        REDIS_USERNAME: service,
        REDIS_PASSWORD: composeSecret(variable),
      });
      expect(podEnv).toMatchObject({
        REDIS_USERNAME: service,
        REDIS_PASSWORD: `secret:${SECRET}/${variable}`,
      });
    } else {
      for (const env of [composeEnv, podEnv]) {
        expect(Object.keys(env)).not.toEqual(expect.arrayContaining(['REDIS_PASSWORD']));
      }
    }
  });

  describe('on a real redis-server', () => {
    let redis: RedisHandle;
    const clients: Redis[] = [];
    const password = (variable: string) => `pw-${variable}`;

    beforeAll(async () => {
      // The shipped arguments, with each password substituted as the kubelet would.
      const args = deployedRedisAclArgs((variable) => password(variable));
      const groups = args
        .join('\u0000')
        .split('--user')
        .map((group) => group.split('\u0000').filter(Boolean))
        .filter((group) => group.length > 0);
      redis = await startRedis({ acl: groups, appendonly: true });
    });

    afterAll(async () => {
      clients.forEach((c) => c.disconnect());
      await redis?.dispose();
    });

    const client = (user?: string) => {
      const c = new Redis(redis.url, {
        ...(user
          ? { username: user, password: password(brokerPasswordVariable('redis', user)) }
          : {}),
        maxRetriesPerRequest: 0,
        // A client without login may not run INFO, the ready check's command.
        enableReadyCheck: false,
      });
      clients.push(c);
      return c;
    };

    it('refuses a client without login (NOAUTH), and lets each service at its keys only', async () => {
      const anonymous = client();
      await expect(anonymous.ping()).rejects.toThrow(/NOAUTH/);
      await expect(anonymous.get('canopy:execs')).rejects.toThrow(/NOAUTH/);

      const history = client('history');
      await expect(history.zcard('canopy:hist:execs')).resolves.toBe(0);
      await expect(history.hget('canopy:bb:{global}', 'k')).rejects.toThrow(/NOPERM/);
      const runner = client('tick-runner');
      await expect(runner.hget('canopy:bb:{global}', 'k')).resolves.toBeNull();
      await expect(runner.flushall()).rejects.toThrow(/NOPERM/);
    });

    it('keeps a script`s and a transaction`s writes across a restart (AOF replayed as `default`)', async () => {
      const runner = client('tick-runner');
      // Like the tick commit: one script writing several keys (the AOF holds it as MULTI/EXEC).
      await runner.eval(
        "redis.call('HSET', KEYS[1], 'a', '1'); redis.call('SADD', KEYS[2], 'x'); return 1",
        2,
        'canopy:bb:{global}',
        'canopy:execs',
      );
      await runner.multi().hset('canopy:bb:{global}', 'b', '2').exec();
      await runner.hset('canopy:bb:{global}', 'c', '3');
      runner.disconnect();
      await redis.restart();
      const after = client('tick-runner');
      await waitFor('redis to have replayed its AOF', async () =>
        (await after.info('persistence').catch(() => '')).includes('loading:0'),
      );
      await expect(after.hgetall('canopy:bb:{global}')).resolves.toEqual({ a: '1', b: '2', c: '3' });
      await expect(after.smembers('canopy:execs')).resolves.toEqual(['x']);
    });
  });
});

describe('HOST', () => {
  it('is 0.0.0.0 in the image, compose and k8s (services listen on loopback by default)', () => {
    expect(readText('deploy/docker/Dockerfile')).toMatch(/^\s+HOST=0\.0\.0\.0$/m);
    for (const service of NATS_SERVICES) {
      expect(compose.services[service].environment['HOST']).toBe('0.0.0.0');
    }
    expect(configMap('canopy-env')['HOST']).toBe('0.0.0.0');
  });
});
