import { CanopyError, errorOf, reasonOf } from './errors';

describe(errorOf.name, () => {
  it("keeps the gateway's error shape: code, message, fields", () => {
    const body = {
      error: {
        code: 'VALIDATION_FAILED',
        message: 'bad',
        fields: [{ field: 'tree', message: 'x' }],
      },
    };
    const error = errorOf(400, 'Bad Request', body);
    expect(error).toBeInstanceOf(CanopyError);
    expect([error.status, error.code, error.message, error.body?.fields]).toEqual([
      400,
      'VALIDATION_FAILED',
      'bad',
      [{ field: 'tree', message: 'x' }],
    ]);
  });

  it('parses a JSON text body, and shows the start of any other text', () => {
    expect(errorOf(404, 'Not Found', '{"error":{"code":"NOT_FOUND","message":"no"}}').code).toBe(
      'NOT_FOUND',
    );
    const proxy = errorOf(502, 'Bad Gateway', `<html>${'x'.repeat(500)}</html>`);
    expect(proxy.code).toBeUndefined();
    expect(proxy.message).toMatch(/^HTTP 502 Bad Gateway: <html>x+$/);
    expect(proxy.message.length).toBe('HTTP 502 Bad Gateway: '.length + 200);
  });
});

describe(reasonOf.name, () => {
  it('names the system error, or the timeout', () => {
    expect(reasonOf(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }))).toBe(
      'ECONNREFUSED',
    );
    expect(reasonOf(new DOMException('timed out', 'TimeoutError'), 30_000)).toBe(
      'no answer within 30 s',
    );
  });
});
