import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CONTAINER, resolveBinary } from './lib/binary';
import { pollUntil } from './lib/poll';
import { startTestInfra } from './index';

function dockerAnswers(): boolean {
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], {
      stdio: 'ignore',
      timeout: 3000,
    });
    return true;
  } catch {
    return false;
  }
}

const FIXTURE = join(__dirname, '..', 'test', 'fixtures', 'hold-infra.ts');

describe('server cleanup', () => {
  it('kills servers and removes their dirs when the test process dies without cleaning up', async () => {
    const holder = spawn(process.execPath, ['-r', '@swc-node/register', FIXTURE], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(createInterface({ input: holder.stdout }), 'line')) as [string];
    const report = JSON.parse(line) as { natsPort: number; redisPort: number; dirs: string[] };
    expect(await accepts(report.natsPort)).toBe(true);

    holder.kill('SIGKILL');

    await pollUntil(
      'servers gone',
      async () =>
        !(await accepts(report.natsPort)) &&
        !(await accepts(report.redisPort)) &&
        report.dirs.every((dir) => !existsSync(dir)),
      { timeoutMs: 10_000 },
    );
  });
});

describe(startTestInfra.name, () => {
  it('starts both servers and hands out their URLs as service env', async () => {
    const sut = await startTestInfra();
    try {
      expect(sut.env).toEqual({ NATS_URL: sut.nats.url, REDIS_URL: sut.redis.url });
      expect(await accepts(sut.nats.port)).toBe(true);
      expect(await accepts(sut.redis.port)).toBe(true);
    } finally {
      await sut.dispose();
    }
    expect(await accepts(sut.nats.port)).toBe(false);
  });
});

describe(resolveBinary.name, () => {
  const missing = {
    name: 'canopy-no-such-server',
    envVar: 'CANOPY_NO_SUCH_BIN',
    aptPackage: 'no-such-server',
  };

  it('names the apt package when the binary is missing and no Docker engine answers', async () => {
    // No `docker` on PATH: nothing answers, so there is no container fallback either.
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(resolveBinary(missing)).rejects.toThrow(
        /canopy-no-such-server was not found on PATH and no Docker engine answered.*apt-get install no-such-server/,
      );
    } finally {
      process.env.PATH = path;
    }
  });

  (dockerAnswers() ? it : it.skip)(
    'falls back to a container when the binary is missing and a Docker engine answers',
    async () => {
      expect(await resolveBinary(missing)).toBe(CONTAINER);
    },
  );

  it('rejects an explicit path that is not executable', async () => {
    const spec = { name: 'nats-server', envVar: 'NATS_SERVER_BIN', aptPackage: 'nats-server' };
    await expect(resolveBinary(spec, '/nonexistent/nats-server')).rejects.toThrow(
      /is not executable/,
    );
  });
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
