import { existsSync } from 'node:fs';
import {
  describeExit,
  startService,
  startTestInfra,
  type ServiceProcess,
  type TestInfra,
} from './index';

// The blackboard is the lightest service; what is tested here is the process handling, not the app.
describe('ServiceProcess', () => {
  let infra: TestInfra;
  let sut: ServiceProcess;

  beforeAll(async () => {
    infra = await startTestInfra();
    sut = await startService('blackboard', { env: { ...infra.env, LOG_LEVEL: 'info' } });
  }, 120_000);

  afterAll(async () => {
    await sut?.dispose();
    await infra?.dispose();
  }, 60_000);

  it('runs the app from its sources on the given port and answers /readyz', async () => {
    expect(sut.running).toBe(true);
    expect(sut.url).toBe(`http://127.0.0.1:${sut.spec.port}`);
    expect(await sut.probe('/readyz')).toBe(true);
    expect(existsSync(`/proc/${sut.pid}`)).toBe(true);
  });

  it('kill() is a SIGKILL: the process dies at once and its port stops answering', async () => {
    const exit = await sut.kill();
    expect(describeExit(exit)).toBe(describeExit({ code: null, signal: 'SIGKILL' }));
    expect(sut.running).toBe(false);
    expect(await sut.probe('/healthz')).toBe(false);
  });

  it('start() brings it back as the same service: same port and env, a new process, one log', async () => {
    const killedPid = sut.pid;
    sut.start();
    await sut.waitReady(90_000);
    expect(sut.pid).not.toBe(killedPid);
    expect(sut.starts).toBe(2);
    expect(await sut.probe('/readyz')).toBe(true);
    expect(sut.log()).toContain('----- blackboard: start #2 -----');
  }, 120_000);

  it('stop() is a graceful SIGTERM: the service exits by itself, not by the SIGKILL fallback', async () => {
    const exit = await sut.stop('SIGTERM', 30_000);
    expect(['exit code 0, signal none', 'exit code none, signal SIGTERM']).toContain(
      describeExit(exit),
    );
    expect(sut.running).toBe(false);
  }, 60_000);

  it('restart() starts a stopped service and waits until it is ready', async () => {
    await sut.restart();
    expect(sut.running).toBe(true);
    expect(sut.starts).toBe(3);
    expect(await sut.probe('/readyz')).toBe(true);
  }, 120_000);
});
