import { Writable } from 'node:stream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createLogger, PinoNestLogger, startTelemetry, type Telemetry, withSpan } from './index';

function capture(): { lines: () => Array<Record<string, unknown>>; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write: (chunk: Buffer, _enc, done) => {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, lines: () => chunks.map((c) => JSON.parse(c) as Record<string, unknown>) };
}

describe(createLogger.name, () => {
  let telemetry: Telemetry;
  beforeAll(() => {
    telemetry = startTelemetry({
      serviceName: 'logger-spec',
      exporter: new InMemorySpanExporter(),
    });
  });
  afterAll(() => telemetry.shutdown());

  it('writes JSON with service, version and a level name', () => {
    const out = capture();
    createLogger('blackboard', { version: '1.2.3', destination: out.stream }).info('hello');
    expect(out.lines()[0]).toMatchObject({
      service: 'blackboard',
      version: '1.2.3',
      level: 'info',
      msg: 'hello',
    });
  });

  it('adds the active span ids to every line', async () => {
    const out = capture();
    const sut = createLogger('runner', { destination: out.stream });
    const ids = await withSpan('tick', (span) => {
      sut.info('inside');
      return span.spanContext();
    });
    sut.info('outside');
    const [inside, outside] = out.lines();
    expect(inside).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
    expect(outside).not.toHaveProperty('trace_id');
  });

  it('redacts obvious secrets', () => {
    const out = capture();
    createLogger('gateway', { destination: out.stream }).info(
      { password: 'p', config: { token: 't' }, headers: { authorization: 'Bearer x' } },
      'secrets',
    );
    expect(out.lines()[0]).toMatchObject({
      password: '[REDACTED]',
      config: { token: '[REDACTED]' },
      headers: { authorization: '[REDACTED]' },
    });
  });

  it('reads its level from LOG_LEVEL and rejects unknown levels', () => {
    const previous = process.env.LOG_LEVEL;
    try {
      process.env.LOG_LEVEL = 'warn';
      expect(createLogger('x', { destination: capture().stream }).level).toBe('warn');
      process.env.LOG_LEVEL = 'verbose';
      expect(() => createLogger('x')).toThrow('LOG_LEVEL: must be one of');
    } finally {
      process.env.LOG_LEVEL = previous;
    }
  });
});

describe(PinoNestLogger.name, () => {
  it("maps Nest's context and error stack onto fields", () => {
    const out = capture();
    const sut = new PinoNestLogger(
      createLogger('svc', { destination: out.stream, level: 'trace' }),
    );
    sut.log('Mapped {/x, GET} route', 'RouterExplorer');
    sut.error('boom', 'Error: boom\n    at somewhere (file.ts:1:1)', 'ExceptionsHandler');
    sut.verbose({ some: 'object' }, 'Ctx');

    const [log, error, verbose] = out.lines();
    expect(log).toMatchObject({
      level: 'info',
      msg: 'Mapped {/x, GET} route',
      context: 'RouterExplorer',
    });
    expect(error).toMatchObject({ level: 'error', msg: 'boom', context: 'ExceptionsHandler' });
    expect(error.stack).toContain('at somewhere');
    expect(verbose).toMatchObject({ level: 'trace', context: 'Ctx', data: { some: 'object' } });
  });
});
