/**
 * The deployment files against the code they deploy.
 *
 * docker-compose.yml, deploy/k8s/*.yaml and deploy/docker/Dockerfile name services, ports,
 * environment variables, health routes and paths that live in apps/ and libs/. Nothing else
 * notices when one side changes: a service silently ignores a variable its schema does not read,
 * and nothing here is built or run on the development machine (no Docker engine). So this test
 * reads each service's own env schema (the `*ConfigSchema` zod object exported by
 * apps/<name>/src/config.ts, the one its main.ts loads) and checks every manifest against it.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpService, loadConfig } from '@canopy/service-kit';
import { createLogger } from '@canopy/telemetry';
import { Module } from '@nestjs/common';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';

const ROOT = join(__dirname, '..', '..');
const COMPOSE_FILE = 'docker-compose.yml';
const DOCKERFILE = 'deploy/docker/Dockerfile';
const K8S_DIR = 'deploy/k8s';
/** The service the HorizontalPodAutoscaler scales. */
const RUNNER = 'tick-runner';
const LIVENESS = '/healthz';
const READINESS = '/readyz';

const readText = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const exists = (path: string): boolean => existsSync(join(ROOT, path));
const mainOf = (service: string): string => `apps/${service}/src/main.ts`;

// ------------------------------------------------------------------------------------------------
// The services' env schemas

interface ServiceConfig {
  service: string;
  schemaName: string;
  schema: z.ZodObject;
  /** Every variable the schema reads. */
  variables: string[];
  /** Variables without a default that must be set. */
  required: string[];
  defaultPort: number;
}

const configs = new Map<string, Promise<ServiceConfig>>();

/** The env schema of apps/<service>, read once. */
function serviceConfig(service: string): Promise<ServiceConfig> {
  let config = configs.get(service);
  if (!config) {
    config = readServiceConfig(service);
    configs.set(service, config);
  }
  return config;
}

async function readServiceConfig(service: string): Promise<ServiceConfig> {
  const file = `apps/${service}/src/config.ts`;
  if (!exists(file)) throw new Error(`${file} not found: every service keeps its env schema there`);
  // By path: which apps' configs this test reads is decided by the manifests, not by imports in
  // app code (that is what the module-boundary rule is about).
  const exported = (await import(join(ROOT, file))) as Record<string, unknown>;
  const schemas = Object.entries(exported).filter(
    (entry): entry is [string, z.ZodObject] =>
      entry[0].endsWith('ConfigSchema') && entry[1] instanceof z.ZodObject,
  );
  if (schemas.length !== 1) {
    throw new Error(
      `${file} must export exactly one *ConfigSchema zod object, found ${schemas.length}`,
    );
  }
  const [schemaName, schema] = schemas[0];
  if (!readText(mainOf(service)).includes(schemaName)) {
    throw new Error(
      `${mainOf(service)} does not load ${schemaName}: which schema is the service's?`,
    );
  }
  const shape = schema.shape as Record<string, z.ZodType>;
  const variables = Object.keys(shape);
  const required = variables.filter((name) => !shape[name].safeParse(undefined).success);
  if (!shape['PORT']) throw new Error(`${schemaName} has no PORT`);
  const defaultPort = z.number().int().parse(shape['PORT'].parse(undefined));
  return { service, schemaName, schema, variables, required, defaultPort };
}

/** Read by Node itself, not by a service's schema. */
const NODE_VARIABLES = ['NODE_OPTIONS'];

/**
 * The environment `where` gives `service` is one its schema accepts: only variables it (or Node)
 * reads, every required one, valid values. Returns the parsed config.
 */
function checkEnv(
  where: string,
  config: ServiceConfig,
  env: Record<string, string>,
): Record<string, unknown> {
  const unknown = Object.keys(env).filter((name) => !config.variables.includes(name) && !NODE_VARIABLES.includes(name));
  expect({ where, notReadBy: config.schemaName, unknown }).toEqual({
    where,
    notReadBy: config.schemaName,
    unknown: [],
  });
  const missing = config.required.filter((name) => !env[name]);
  expect({ where, missing }).toEqual({ where, missing: [] });
  let parsed: Record<string, unknown> = {};
  expect(() => {
    parsed = loadConfig(config.schema, env) as Record<string, unknown>;
  }).not.toThrow();
  expect({ where, PORT: parsed['PORT'] }).toEqual({ where, PORT: config.defaultPort });
  return parsed;
}

/** The apps that are services (tag scope:service) with an entry point. */
function runnableServices(): string[] {
  const ProjectJson = z.looseObject({ tags: z.array(z.string()).default([]) });
  return readdirSync(join(ROOT, 'apps'))
    .filter((name) => exists(`apps/${name}/project.json`))
    .filter((name) =>
      ProjectJson.parse(JSON.parse(readText(`apps/${name}/project.json`))).tags.includes(
        'scope:service',
      ),
    )
    .filter((name) => exists(mainOf(name)))
    .sort();
}

function urlOf(value: unknown): URL {
  return new URL(z.string().parse(value).split(',')[0]);
}

/** "60s", "1m30s", "500ms" (compose durations) in milliseconds. */
function durationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  expect(parts.map((p) => p[0]).join('')).toBe(text);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit], 0);
}

// ------------------------------------------------------------------------------------------------
// docker-compose.yml

const EnvValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const StringOrList = z.union([z.string(), z.array(z.string())]);
const ComposeService = z.looseObject({
  image: z.string().optional(),
  build: z
    .looseObject({
      context: z.string(),
      dockerfile: z.string(),
      args: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
    })
    .optional(),
  command: StringOrList.optional(),
  environment: z.union([z.record(z.string(), EnvValue), z.array(z.string())]).optional(),
  env_file: z.never().optional(),
  ports: z.array(z.union([z.string(), z.number()])).default([]),
  expose: z.array(z.union([z.string(), z.number()])).default([]),
  healthcheck: z.looseObject({ test: StringOrList }).optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.looseObject({ condition: z.string() }))])
    .optional(),
  volumes: z.array(z.string()).default([]),
  stop_grace_period: z.string().optional(),
  deploy: z.looseObject({ replicas: z.number().int().optional() }).optional(),
});
type ComposeService = z.infer<typeof ComposeService>;
const ComposeFile = z.looseObject({
  services: z.record(z.string(), ComposeService),
  volumes: z.record(z.string(), z.unknown()).default({}),
});

// `merge`: the file shares blocks with YAML anchors and `<<` merge keys, as Compose reads them.
const compose = ComposeFile.parse(parse(readText(COMPOSE_FILE), { merge: true }));
const composeApps = Object.entries(compose.services).filter(
  ([, service]) => service.build !== undefined,
);

/**
 * Secrets are never in the files: compose takes them from the shell or `.env`
 * (`${CANOPY_ADMIN_KEY:?...}`), k8s from a Secret (`secretKeyRef`). These stand in for them.
 */
const SECRET_SAMPLES: Record<string, string> = {
  CANOPY_ADMIN_KEY: `cnpy_${'k'.repeat(43)}`,
  JWT_SECRET: 's'.repeat(48),
};

/** A compose value that is only `${NAME}` or `${NAME:?message}` takes NAME from SECRET_SAMPLES. */
function interpolate(value: string): string {
  const match = /^\$\{(\w+)(?::\?[^}]*)?\}$/.exec(value);
  if (!match) return value;
  // The brokers' per-service passwords (docs/security.md, "NATS and Redis"): any non-empty value.
  const sample = SECRET_SAMPLES[match[1]] ?? (/^CANOPY_(NATS|REDIS)_PASSWORD_[A-Z_]+$/.test(match[1]) ? `<${match[1]}>` : undefined);
  if (sample === undefined) throw new Error(`\${${match[1]}} is not a known secret`);
  return sample;
}

function composeEnv(service: ComposeService): Record<string, string> {
  const { environment } = service;
  if (environment === undefined) return {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => [
      name,
      value === null ? '' : interpolate(String(value)),
    ]),
  );
}

function commandText(command: string | string[] | undefined): string {
  return Array.isArray(command) ? command.join(' ') : (command ?? '');
}

/** The container side of a compose port mapping: "3000:3000", "127.0.0.1:3000:3000/tcp", 3000. */
function containerPort(mapping: string | number): number {
  return Number(String(mapping).split('/')[0].split(':').at(-1));
}

function dependencies(service: ComposeService): Record<string, string> {
  const { depends_on: dependsOn } = service;
  if (dependsOn === undefined) return {};
  if (Array.isArray(dependsOn))
    return Object.fromEntries(dependsOn.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(dependsOn).map(([name, dep]) => [name, dep.condition]));
}

// ------------------------------------------------------------------------------------------------
// deploy/k8s

const Labels = z.record(z.string(), z.string());
const Metadata = z.looseObject({ name: z.string(), labels: Labels.default({}) });
const PortRef = z.union([z.string(), z.number().int()]);
const Probe = z.looseObject({
  httpGet: z.looseObject({ path: z.string(), port: PortRef }).optional(),
  exec: z.looseObject({ command: z.array(z.string()) }).optional(),
});
const EnvVar = z.looseObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .looseObject({
      configMapKeyRef: z.looseObject({ name: z.string(), key: z.string() }).optional(),
      secretKeyRef: z.looseObject({ name: z.string(), key: z.string() }).optional(),
      fieldRef: z.looseObject({ fieldPath: z.string() }).optional(),
    })
    .optional(),
});
const Quantities = z.record(z.string(), z.union([z.string(), z.number()]));
const Container = z.looseObject({
  name: z.string(),
  image: z.string(),
  args: z.array(z.string()).default([]),
  ports: z
    .array(z.looseObject({ name: z.string().optional(), containerPort: z.number().int() }))
    .default([]),
  env: z.array(EnvVar).default([]),
  envFrom: z
    .array(z.looseObject({ configMapRef: z.looseObject({ name: z.string() }) }))
    .default([]),
  startupProbe: Probe.optional(),
  livenessProbe: Probe.optional(),
  readinessProbe: Probe.optional(),
  resources: z
    .looseObject({ requests: Quantities.default({}), limits: Quantities.default({}) })
    .optional(),
  securityContext: z
    .looseObject({
      allowPrivilegeEscalation: z.boolean().optional(),
      readOnlyRootFilesystem: z.boolean().optional(),
    })
    .optional(),
  volumeMounts: z.array(z.looseObject({ name: z.string(), mountPath: z.string() })).default([]),
});
type Container = z.infer<typeof Container>;
const Workload = z.looseObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.enum(['Deployment', 'StatefulSet']),
  metadata: Metadata,
  spec: z.looseObject({
    replicas: z.number().int().optional(),
    selector: z.looseObject({ matchLabels: Labels }),
    template: z.looseObject({
      metadata: z.looseObject({ labels: Labels }),
      spec: z.looseObject({
        containers: z.array(Container).min(1),
        securityContext: z
          .looseObject({
            runAsNonRoot: z.boolean().optional(),
            runAsUser: z.number().int().optional(),
          })
          .optional(),
        terminationGracePeriodSeconds: z.number().int().optional(),
        volumes: z.array(z.looseObject({ name: z.string() })).default([]),
      }),
    }),
    volumeClaimTemplates: z
      .array(z.looseObject({ metadata: z.looseObject({ name: z.string() }) }))
      .default([]),
  }),
});
type Workload = z.infer<typeof Workload>;
const Service = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: Metadata,
  spec: z.looseObject({
    selector: Labels,
    ports: z
      .array(
        z.looseObject({
          name: z.string().optional(),
          port: z.number().int(),
          targetPort: PortRef.optional(),
        }),
      )
      .min(1),
  }),
});
type Service = z.infer<typeof Service>;
const ConfigMap = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: Metadata,
  data: z.record(z.string(), z.string()).default({}),
});
const Hpa = z.looseObject({
  apiVersion: z.literal('autoscaling/v2'),
  kind: z.literal('HorizontalPodAutoscaler'),
  metadata: Metadata,
  spec: z.looseObject({
    scaleTargetRef: z.looseObject({ apiVersion: z.string(), kind: z.string(), name: z.string() }),
    minReplicas: z.number().int().optional(),
    maxReplicas: z.number().int(),
    metrics: z
      .array(
        z.looseObject({
          type: z.string(),
          resource: z
            .looseObject({ name: z.string(), target: z.looseObject({ type: z.string() }) })
            .optional(),
        }),
      )
      .min(1),
  }),
});
const Kustomization = z.looseObject({
  apiVersion: z.string(),
  kind: z.literal('Kustomization'),
  namespace: z.string().optional(),
  resources: z.array(z.string()),
});
const Namespace = z.looseObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Namespace'),
  metadata: Metadata,
});

const k8sFiles = readdirSync(join(ROOT, K8S_DIR))
  .filter((file) => file.endsWith('.yaml') || file.endsWith('.yml'))
  .sort();
const k8sObjects = k8sFiles.flatMap((file) =>
  parseAllDocuments(readText(`${K8S_DIR}/${file}`)).map((document) => {
    if (document.errors.length > 0)
      throw new Error(`${K8S_DIR}/${file}: ${document.errors.join('; ')}`);
    return { file, object: z.looseObject({ kind: z.string() }).parse(document.toJS()) };
  }),
);
const ofKind = <T extends z.ZodType>(kind: string, schema: T): z.output<T>[] =>
  k8sObjects.filter(({ object }) => object.kind === kind).map(({ object }) => schema.parse(object));

const deployments = ofKind('Deployment', Workload);
const statefulSets = ofKind('StatefulSet', Workload);
const services = ofKind('Service', Service);
const configMaps = new Map(ofKind('ConfigMap', ConfigMap).map((cm) => [cm.metadata.name, cm.data]));
const hpas = ofKind('HorizontalPodAutoscaler', Hpa);

/** Values the kubelet fills in for `fieldRef`s, for checking them against the schemas. */
const FIELD_SAMPLES: Record<string, (pod: string) => string> = {
  'metadata.name': (pod) => `${pod}-7c9d8f6b5d-x2k7q`,
  'metadata.namespace': () => 'canopy',
  'spec.nodeName': () => 'node-1',
  'status.podIP': () => '10.0.0.12',
};

function k8sEnv(pod: string, container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { configMapRef } of container.envFrom) {
    const data = configMaps.get(configMapRef.name);
    if (!data)
      throw new Error(`${pod}: envFrom ConfigMap ${configMapRef.name} is not in ${K8S_DIR}`);
    Object.assign(env, data);
  }
  for (const variable of container.env) {
    const { configMapKeyRef, secretKeyRef, fieldRef } = variable.valueFrom ?? {};
    if (variable.value !== undefined) {
      env[variable.name] = variable.value;
    } else if (configMapKeyRef) {
      const value = configMaps.get(configMapKeyRef.name)?.[configMapKeyRef.key];
      if (value === undefined)
        throw new Error(
          `${pod}: ${variable.name} refers to a missing ConfigMap key ${configMapKeyRef.name}/${configMapKeyRef.key}`,
        );
      env[variable.name] = value;
    } else if (secretKeyRef && SECRET_SAMPLES[secretKeyRef.key] !== undefined) {
      env[variable.name] = SECRET_SAMPLES[secretKeyRef.key];
    } else if (secretKeyRef) {
      // Secrets are created at install time (README.md, "Deployment"): any non-empty value.
      env[variable.name] = `<${secretKeyRef.name}/${secretKeyRef.key}>`;
    } else if (fieldRef && FIELD_SAMPLES[fieldRef.fieldPath]) {
      env[variable.name] = FIELD_SAMPLES[fieldRef.fieldPath](pod);
    } else {
      throw new Error(`${pod}: ${variable.name} has a value source this test does not know`);
    }
  }
  return env;
}

/** A probe's or Service's port, resolved through the container's named ports. */
function resolvePort(container: Container, port: string | number | undefined): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports.find((p) => p.name === port)?.containerPort;
}

function servicesOf(workload: Workload): Service[] {
  const podLabels = workload.spec.template.metadata.labels;
  return services.filter(
    (service) =>
      Object.keys(service.spec.selector).length > 0 &&
      Object.entries(service.spec.selector).every(([key, value]) => podLabels[key] === value),
  );
}

// ------------------------------------------------------------------------------------------------
// deploy/docker/Dockerfile

interface Instruction {
  keyword: string;
  args: string;
}

/** Logical instructions: comments dropped, `\` continuations joined. */
function dockerInstructions(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    if (current === '' && /^\s*#/.test(line)) continue;
    if (/\\\s*$/.test(line)) {
      current += `${line.replace(/\\\s*$/, '')} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  return logical.map((line) => {
    const [keyword] = line.split(/\s+/, 1);
    return { keyword: keyword.toUpperCase(), args: line.slice(keyword.length).trim() };
  });
}

const dockerfile = dockerInstructions(readText(DOCKERFILE));
const stages = dockerfile.reduce<Instruction[][]>((acc, instruction) => {
  if (instruction.keyword === 'FROM') acc.push([]);
  acc.at(-1)?.push(instruction);
  return acc;
}, []);
const runtimeStage = stages.at(-1) ?? [];
const inRuntime = (keyword: string): Instruction[] =>
  runtimeStage.filter((i) => i.keyword === keyword);
const dockerignore = readText('.dockerignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

// ================================================================================================

describe('the services', () => {
  it('every runnable service (scope:service with src/main.ts) is deployed by compose and by k8s', () => {
    const deployed = runnableServices();
    expect(deployed.length).toBeGreaterThan(0);
    expect(composeApps.map(([name]) => name).sort()).toEqual(deployed);
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(deployed);
  });

  it('serve the health routes the probes use (service-kit, which every service boots with)', async () => {
    @Module({})
    class Empty {}
    const app = await createHttpService(Empty, {
      serviceName: 'deploy-test',
      port: 0,
      logger: createLogger('deploy-test', { level: 'silent' }),
    });
    try {
      for (const path of [LIVENESS, READINESS]) {
        const response = await app.inject({ method: 'GET', url: path });
        expect({ path, status: response.statusCode }).toEqual({ path, status: 200 });
      }
    } finally {
      await app.close();
    }
  });
});

describe(COMPOSE_FILE, () => {
  it('builds each service from deploy/docker/Dockerfile, tagged canopy/<service>', () => {
    expect(composeApps.length).toBeGreaterThan(0);
    for (const [name, service] of composeApps) {
      expect(exists(mainOf(name))).toBe(true);
      expect({ name, build: service.build }).toMatchObject({
        name,
        build: { context: '.', dockerfile: DOCKERFILE, args: { SERVICE: name } },
      });
      expect(service.image).toMatch(new RegExp(`^canopy/${name}:`));
    }
  });

  it.each(composeApps.map(([name]) => name))(
    '%s: environment read by its schema, ports = its default PORT',
    async (name) => {
      const service = compose.services[name];
      const config = await serviceConfig(name);
      const env = composeEnv(service);
      expect(env['PORT']).toBe(String(config.defaultPort));
      checkEnv(`${COMPOSE_FILE} ${name}`, config, env);

      expect(String(service.build?.args['PORT'])).toBe(String(config.defaultPort));
      const ports = [...service.ports.map(containerPort), ...service.expose.map(Number)];
      expect(ports.length).toBeGreaterThan(0);
      for (const port of ports) expect({ name, port }).toEqual({ name, port: config.defaultPort });
    },
  );

  it.each(composeApps.map(([name]) => name))(
    '%s: health check on /readyz, dependencies healthy first',
    (name) => {
      const service = compose.services[name];
      const test = commandText(service.healthcheck?.test);
      expect(test).toContain(READINESS);
      // Either the PORT variable or the literal default port.
      expect(test).toMatch(/process\.env\.PORT|:\d+\//);

      const deps = dependencies(service);
      expect(deps).toMatchObject({ nats: 'service_healthy', redis: 'service_healthy' });
      for (const [dep, condition] of Object.entries(deps)) {
        expect(Object.keys(compose.services)).toContain(dep);
        if (condition === 'service_healthy')
          expect({ dep, healthcheck: compose.services[dep].healthcheck !== undefined }).toEqual({
            dep,
            healthcheck: true,
          });
      }
    },
  );

  it('points the services at the nats, redis and otel-collector services of the stack', async () => {
    for (const [name, service] of composeApps) {
      const parsed = checkEnv(
        `${COMPOSE_FILE} ${name}`,
        await serviceConfig(name),
        composeEnv(service),
      );
      const nats = urlOf(parsed['NATS_URL']);
      const redis = urlOf(parsed['REDIS_URL']);
      expect([nats.hostname, nats.port]).toEqual(['nats', '4222']);
      expect([redis.hostname, redis.port]).toEqual(['redis', '6379']);
      const otel = urlOf(parsed['OTEL_EXPORTER_OTLP_ENDPOINT']);
      expect(compose.services[otel.hostname]).toBeDefined();
      const collector = compose.services[otel.hostname];
      const mount = collector.volumes.find((volume) => volume.startsWith('./deploy/'));
      expect(mount).toBeDefined();
      const collectorConfig = z
        .looseObject({
          receivers: z.looseObject({
            otlp: z.looseObject({
              protocols: z.looseObject({ http: z.looseObject({ endpoint: z.string() }) }),
            }),
          }),
          exporters: z.record(z.string(), z.looseObject({ endpoint: z.string().optional() })),
          service: z.looseObject({
            pipelines: z.looseObject({
              traces: z.looseObject({
                receivers: z.array(z.string()),
                exporters: z.array(z.string()),
              }),
            }),
          }),
        })
        .parse(parse(readText(String(mount).split(':')[0])));
      expect(collectorConfig.receivers.otlp.protocols.http.endpoint).toBe(`0.0.0.0:${otel.port}`);
      expect(collectorConfig.service.pipelines.traces.receivers).toContain('otlp');
      for (const exporter of collectorConfig.service.pipelines.traces.exporters) {
        const endpoint = collectorConfig.exporters[exporter]?.endpoint;
        expect(endpoint).toBeDefined();
        expect(compose.services[String(endpoint).split(':')[0]]).toBeDefined();
      }
    }
  });

  it('runs JetStream and Redis (AOF everysec + RDB) on volumes, with health checks', () => {
    const { nats, redis } = compose.services;
    const natsCommand = commandText(nats.command);
    expect(natsCommand).toMatch(/(^| )-js( |$)/);
    expect(natsCommand).toMatch(/-sd \/data/);
    const monitor = /-m (\d+)/.exec(natsCommand)?.[1];
    expect(commandText(nats.healthcheck?.test)).toContain(`:${monitor}/healthz`);

    const redisCommand = commandText(redis.command);
    expect(redisCommand).toContain('--appendonly yes');
    expect(redisCommand).toContain('--appendfsync everysec');
    expect(redisCommand).toMatch(/--save \d+ \d+/);
    expect(commandText(redis.healthcheck?.test)).toContain('redis-cli ping');

    for (const service of [nats, redis]) {
      const volume = service.volumes.find((v) => v.endsWith(':/data'));
      expect(volume).toBeDefined();
      expect(Object.keys(compose.volumes)).toContain(String(volume).split(':')[0]);
    }
  });

  it(`gives the ${RUNNER} replicas, no fixed host port, and time to hand its shards over`, async () => {
    const runner = compose.services[RUNNER];
    expect(runner.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(runner.ports).toEqual([]);
    const parsed = checkEnv(
      `${COMPOSE_FILE} ${RUNNER}`,
      await serviceConfig(RUNNER),
      composeEnv(runner),
    );
    expect(durationMs(runner.stop_grace_period ?? '10s')).toBeGreaterThanOrEqual(
      2 * Number(parsed['LEASE_TTL_MS']),
    );
  });
});

describe(K8S_DIR, () => {
  it('kustomization.yaml lists every manifest, and only those', () => {
    const kustomizations = ofKind('Kustomization', Kustomization);
    expect(kustomizations).toHaveLength(1);
    const [kustomization] = kustomizations;
    expect([...kustomization.resources].sort()).toEqual(
      k8sFiles.filter((f) => !/^kustomization\.ya?ml$/.test(f)),
    );
    const namespaces = ofKind('Namespace', Namespace).map((ns) => ns.metadata.name);
    expect(namespaces).toEqual([kustomization.namespace]);
  });

  it.each(deployments.map((d) => d.metadata.name))(
    '%s: image, ports = its default PORT, probes',
    async (name) => {
      const deployment = deployments.find((d) => d.metadata.name === name) as Workload;
      expect(exists(mainOf(name))).toBe(true);
      const config = await serviceConfig(name);
      const { containers } = deployment.spec.template.spec;
      expect(containers).toHaveLength(1);
      const [container] = containers;
      expect(container.name).toBe(name);
      expect(container.image).toMatch(new RegExp(`^canopy/${name}:`));

      expect(container.ports.map((p) => p.containerPort)).toEqual([config.defaultPort]);
      expect(container.readinessProbe?.httpGet?.path).toBe(READINESS);
      expect(container.livenessProbe?.httpGet?.path).toBe(LIVENESS);
      if (container.startupProbe) expect(container.startupProbe.httpGet?.path).toBe(LIVENESS);
      for (const probe of [
        container.readinessProbe,
        container.livenessProbe,
        container.startupProbe,
      ]) {
        if (probe) expect(resolvePort(container, probe.httpGet?.port)).toBe(config.defaultPort);
      }

      const [service, ...others] = servicesOf(deployment);
      expect(others).toEqual([]);
      expect(service?.metadata.name).toBe(name);
      for (const port of service?.spec.ports ?? []) {
        expect(port.port).toBe(config.defaultPort);
        expect(resolvePort(container, port.targetPort ?? port.port)).toBe(config.defaultPort);
      }
    },
  );

  it.each(deployments.map((d) => d.metadata.name))(
    '%s: environment read by its schema',
    async (name) => {
      const deployment = deployments.find((d) => d.metadata.name === name) as Workload;
      const [container] = deployment.spec.template.spec.containers;
      const config = await serviceConfig(name);
      const env = k8sEnv(name, container);
      expect(env['PORT']).toBe(String(config.defaultPort));
      const parsed = checkEnv(`${K8S_DIR} ${name}`, config, env);
      const nats = urlOf(parsed['NATS_URL']);
      const redis = urlOf(parsed['REDIS_URL']);
      for (const url of [nats, redis]) {
        const service = services.find((s) => s.metadata.name === url.hostname);
        expect({ url: url.href, service: service?.spec.ports.map((p) => p.port) }).toEqual({
          url: url.href,
          service: expect.arrayContaining([Number(url.port)]),
        });
      }
    },
  );

  it.each(deployments.map((d) => d.metadata.name))(
    '%s: non-root, resources requested and limited, selector matches its pods',
    (name) => {
      const deployment = deployments.find((d) => d.metadata.name === name) as Workload;
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      const [container] = pod.containers;
      expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false });
      if (container.securityContext?.readOnlyRootFilesystem) {
        // @swc/core copies its native addon into a writable cache directory before loading it.
        const tmp = container.volumeMounts.find((m) => m.mountPath === '/tmp');
        expect(tmp).toBeDefined();
        expect(pod.volumes.map((v) => v.name)).toContain(tmp?.name);
      }
      expect(Object.keys(container.resources?.requests ?? {})).toEqual(
        expect.arrayContaining(['cpu', 'memory']),
      );
      expect(Object.keys(container.resources?.limits ?? {})).toContain('memory');
      expect(deployment.spec.template.metadata.labels).toMatchObject(
        deployment.spec.selector.matchLabels,
      );
    },
  );

  it(`scales the ${RUNNER} Deployment with an autoscaling/v2 HPA on CPU`, () => {
    expect(hpas).toHaveLength(1);
    const [hpa] = hpas;
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: RUNNER,
    });
    expect(hpa.spec.metrics.some((m) => m.type === 'Resource' && m.resource?.name === 'cpu')).toBe(
      true,
    );
    expect(hpa.spec.minReplicas ?? 1).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas ?? 1);

    const runner = deployments.find((d) => d.metadata.name === RUNNER);
    expect(runner).toBeDefined();
    // The HPA owns the replica count; a fixed one would be reset on every apply.
    expect(runner?.spec.replicas).toBeUndefined();
    expect(runner?.spec.template.spec.containers[0].resources?.requests['cpu']).toBeDefined();
  });

  it(`gives the ${RUNNER} time to hand its shards over on SIGTERM`, async () => {
    const runner = deployments.find((d) => d.metadata.name === RUNNER) as Workload;
    const parsed = checkEnv(
      `${K8S_DIR} ${RUNNER}`,
      await serviceConfig(RUNNER),
      k8sEnv(RUNNER, runner.spec.template.spec.containers[0]),
    );
    const graceMs = (runner.spec.template.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    expect(graceMs).toBeGreaterThanOrEqual(2 * Number(parsed['LEASE_TTL_MS']));
  });

  it('runs nats (JetStream) and redis (AOF) as StatefulSets on persistent volumes', () => {
    const byName = new Map(statefulSets.map((s) => [s.metadata.name, s]));
    const nats = byName.get('nats');
    const redis = byName.get('redis');
    expect(nats?.spec.template.spec.containers[0].args.join(' ')).toMatch(/-js .*-sd \/data/);
    expect(redis?.spec.template.spec.containers[0].args.join(' ')).toMatch(
      /--appendonly yes --appendfsync everysec/,
    );
    for (const set of [nats, redis]) {
      const claims = set?.spec.volumeClaimTemplates.map((c) => c.metadata.name) ?? [];
      expect(claims.length).toBe(1);
      expect(set?.spec.template.spec.containers[0].volumeMounts).toContainEqual({
        name: claims[0],
        mountPath: '/data',
      });
      expect(set?.spec.template.spec.securityContext?.runAsNonRoot).toBe(true);
    }
  });
});

describe('the shard count', () => {
  it('is the same for every service that reads SHARD_COUNT (gateway routing = runner ownership)', async () => {
    const values = new Set<unknown>();
    for (const [name, service] of composeApps) {
      const config = await serviceConfig(name);
      if (config.variables.includes('SHARD_COUNT'))
        values.add(checkEnv(name, config, composeEnv(service))['SHARD_COUNT']);
    }
    expect(values.size).toBe(1);
    const k8sValues = new Set<unknown>();
    for (const deployment of deployments) {
      const name = deployment.metadata.name;
      const config = await serviceConfig(name);
      if (!config.variables.includes('SHARD_COUNT')) continue;
      k8sValues.add(
        checkEnv(name, config, k8sEnv(name, deployment.spec.template.spec.containers[0]))[
          'SHARD_COUNT'
        ],
      );
    }
    expect(k8sValues.size).toBe(1);
  });
});

describe(DOCKERFILE, () => {
  it('starts from node >= 20 (package.json engines) and ends as the non-root node user', () => {
    const args = new Map(
      dockerfile
        .filter((i) => i.keyword === 'ARG')
        .map((i) => i.args.split('=') as [string, string?])
        .map(([name, value]) => [name, value ?? '']),
    );
    const froms = dockerfile.filter((i) => i.keyword === 'FROM').map((i) => i.args.split(/\s+/));
    const stages = new Set(froms.map((words) => words[2]));
    // A stage built on another stage (`FROM ${DEPS}` = deps) is not a base image; the host-deps
    // stage's default `scratch` is a placeholder for an image the builder names (DEPS=host-deps).
    const images = froms
      .map((words) =>
        words[0].replace(/^\$\{(\w+)\}$/, (_, name: string) => args.get(name) ?? ''),
      )
      .filter((image) => !stages.has(image) && image !== 'scratch');
    const engines = z
      .looseObject({ engines: z.looseObject({ node: z.string() }) })
      .parse(JSON.parse(readText('package.json')));
    const minimum = Number(/(\d+)/.exec(engines.engines.node)?.[1]);
    for (const image of images) {
      expect(image).toMatch(/^node:\d+-bookworm-slim$/);
      expect(Number(/^node:(\d+)/.exec(image)?.[1])).toBeGreaterThanOrEqual(minimum);
    }
    expect(inRuntime('USER').map((i) => i.args)).toEqual(['node']);
  });

  it('copies paths that exist and are not excluded by .dockerignore', async () => {
    const sources = dockerfile
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((word) => !word.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources).toEqual(
      expect.arrayContaining([
        'package.json',
        'package-lock.json',
        'apps',
        'libs',
        'tsconfig.json',
        'tsconfig.base.json',
      ]),
    );
    const services = composeApps.map(([name]) => name);
    for (const source of sources) {
      const paths = source.includes('${SERVICE}')
        ? services.map((s) => source.replace('${SERVICE}', s))
        : [source];
      for (const path of paths) {
        expect({ path, exists: exists(path) }).toEqual({ path, exists: true });
        expect(dockerignore).not.toContain(path.split('/')[0]);
      }
    }
    // tsconfig.json extends tsconfig.base.json, which carries the decorator settings NestJS needs.
    expect(readText('tsconfig.json')).toContain('tsconfig.base.json');
  });

  it('runs apps/${SERVICE}/src/main.ts through @swc-node/register, which the image keeps', () => {
    expect(inRuntime('ARG').map((i) => i.args)).toEqual(
      expect.arrayContaining(['SERVICE', 'PORT']),
    );
    const env = inRuntime('ENV')
      .map((i) => i.args)
      .join(' ');
    const cmd = inRuntime('CMD').map((i) => i.args);
    expect(cmd).toHaveLength(1);
    const entry = /apps\/\$\{(\w+)\}\/src\/main\.ts/.exec(cmd[0]);
    expect(entry).not.toBeNull();
    const variable = String(entry?.[1]);
    expect(variable === 'SERVICE' || env.includes(`${variable}=\${SERVICE}`)).toBe(true);
    expect(cmd[0]).toContain('-r @swc-node/register');
    // Exec form without a shell would pass "${...}" to node literally.
    expect(JSON.parse(cmd[0])).toEqual(['/bin/sh', '-c', expect.stringMatching(/^exec node /)]);
    for (const [name] of composeApps) expect(exists(mainOf(name))).toBe(true);

    // runtime-deps.mjs moves the swc runtime to dependencies before the prune of devDependencies.
    const runs = dockerfile.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const move = runs.findIndex((run) => run.includes('runtime-deps.mjs'));
    expect(move).toBeGreaterThanOrEqual(0);
    expect(runs[move]).toMatch(/runtime-deps\.mjs.*npm prune --omit=dev/);
    expect(runs.findIndex((run) => run.startsWith('npm ci'))).toBeLessThan(move);
  });

  it('runtime-deps.mjs keeps @swc-node/register and @swc/core in the production tree', () => {
    const dir = mkdtempSync(join(tmpdir(), 'canopy-deploy-'));
    try {
      copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
      execFileSync(process.execPath, [
        join(ROOT, 'deploy/docker/runtime-deps.mjs'),
        join(dir, 'package.json'),
      ]);
      const Pkg = z.looseObject({
        dependencies: z.record(z.string(), z.string()).default({}),
        devDependencies: z.record(z.string(), z.string()).default({}),
      });
      const before = Pkg.parse(JSON.parse(readText('package.json')));
      const after = Pkg.parse(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')));
      for (const name of ['@swc-node/register', '@swc/core']) {
        expect(after.dependencies[name]).toBe(
          before.dependencies[name] ?? before.devDependencies[name],
        );
        expect(after.devDependencies[name]).toBeUndefined();
      }
      expect(after.dependencies).toMatchObject(before.dependencies);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exposes PORT and health-checks /healthz with node (no curl in slim images)', () => {
    expect(inRuntime('EXPOSE').map((i) => i.args)).toEqual(['${PORT}']);
    expect(
      inRuntime('ENV')
        .map((i) => i.args)
        .join(' '),
    ).toContain('PORT=${PORT}');
    const [healthcheck] = inRuntime('HEALTHCHECK');
    expect(healthcheck?.args).toContain(`'${LIVENESS}'`);
    expect(healthcheck?.args).toContain('process.env.PORT');
    expect(healthcheck?.args).toMatch(/CMD \["node", "-e"/);
  });

  it('.dockerignore keeps local state and the host node_modules out of the build context', () => {
    for (const entry of ['node_modules', '.nx', '.data', 'dist', 'coverage', '.git']) {
      expect(dockerignore.some((line) => line === entry || line === `**/${entry}`)).toBe(true);
    }
  });
});
