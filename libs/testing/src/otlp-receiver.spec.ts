import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { OtlpTraceReceiver } from './index';

const FIXTURE = join(__dirname, '..', 'test', 'fixtures', 'export-spans.ts');

describe(OtlpTraceReceiver.name, () => {
  let sut: OtlpTraceReceiver;

  beforeAll(async () => {
    sut = await OtlpTraceReceiver.start();
  });

  afterAll(() => sut?.close());

  it('receives what the services` OTLP exporter sends: service, ids, parent, kind and attributes', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      '-r',
      '@swc-node/register',
      FIXTURE,
      sut.endpoint,
    ]);
    const { traceId, parentId } = JSON.parse(stdout) as { traceId: string; parentId: string };

    const [outer, inner] = await Promise.all([
      sut.spanOf(traceId, 'outer'),
      sut.spanOf(traceId, 'inner'),
    ]);
    expect(outer).toEqual({
      service: 'probe-service',
      name: 'outer',
      traceId,
      spanId: parentId,
      kind: 'SERVER',
      attributes: {},
    });
    expect(inner).toMatchObject({
      kind: 'INTERNAL',
      parentSpanId: parentId,
      attributes: { 'canopy.tick': 7, 'canopy.exec.id': 'e1', ok: true },
    });
  });

  it('rejects a wait that nothing answers, naming what did arrive', async () => {
    await expect(sut.spanOf('0'.repeat(32), 'never', 200)).rejects.toThrow(
      /no span never in trace 0{32} within 200 ms \(received: .*outer/,
    );
  });
});
