import {
  GatewayApi,
  REPO_ROOT,
  type ServiceProcess,
  startService,
  startTestInfra,
  type TestInfra,
} from '@canopy/testing';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface LocalAuth {
  key?: string;
  gatewayEnv: Record<string, string>;
  lines: string[];
}

/** scripts/local-auth.mjs (what `npm start` runs) in its own Node process, as an ES module. */
function localAuth(keyPath: string, env: Record<string, string> = {}): LocalAuth {
  const code = `
    import { announcement, localAuth } from './scripts/local-auth.mjs';
    const auth = localAuth(process.argv[1], JSON.parse(process.argv[2]));
    console.log(JSON.stringify({ ...auth, lines: announcement(auth, 'http://127.0.0.1:3000') }));`;
  const out = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', code, keyPath, JSON.stringify(env)],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  return JSON.parse(out) as LocalAuth;
}

describe('npm start: auth on with a local admin key', () => {
  let infra: TestInfra | undefined;
  let gateway: ServiceProcess | undefined;

  afterAll(async () => {
    await gateway?.dispose();
    await infra?.dispose();
  }, 60_000);

  it('makes a key once, keeps it private and across restarts, and prints it as CANOPY_API_KEY=', () => {
    const keyPath = join(mkdtempSync(join(tmpdir(), 'canopy-start-')), 'admin-key');
    const first = localAuth(keyPath);
    expect(first.key).toMatch(/^cnpy_[A-Za-z0-9_-]{43}$/);
    expect(first.lines).toEqual([
      `CANOPY_API_KEY=${first.key}`,
      `Studio: http://127.0.0.1:3000/studio#key=${first.key}`,
    ]);
    expect(first.gatewayEnv).toEqual({ CANOPY_AUTH: 'on', CANOPY_ADMIN_KEY: first.key });
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(localAuth(keyPath).key).toBe(first.key);
    expect(localAuth(keyPath, { CANOPY_ADMIN_KEY: 'x'.repeat(30) }).key).toBe('x'.repeat(30));
    const off = localAuth(keyPath, { CANOPY_AUTH: 'off' });
    expect(off.key).toBeUndefined();
    expect(off.gatewayEnv).toEqual({ CANOPY_AUTH: 'off' });
  });

  it('starts a gateway that accepts that key and refuses requests without it', async () => {
    const keyPath = join(mkdtempSync(join(tmpdir(), 'canopy-start-')), 'admin-key');
    const auth = localAuth(keyPath);
    infra = await startTestInfra();
    gateway = await startService('gateway', { env: { ...infra.env, ...auth.gatewayEnv } });
    const api = new GatewayApi(gateway.url, 10_000, auth.key ?? null);
    // /keys is served by the gateway itself (no runner here), admin only.
    expect(await api.ok(api.get('/keys'))).toEqual([]);
    const refused = await api.as(null).get<{ error: { code: string } }>('/keys');
    expect({ status: refused.status, code: refused.body.error.code }).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  }, 120_000);
});
