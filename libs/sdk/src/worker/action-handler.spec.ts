import { failureOf, replyOf } from './action-handler';

describe(replyOf.name, () => {
  it.each([
    [undefined, { status: 'SUCCESS' }],
    [true, { status: 'SUCCESS' }],
    ['SUCCESS', { status: 'SUCCESS' }],
    [false, { status: 'FAILURE' }],
    ['FAILURE', { status: 'FAILURE' }],
    [{ status: 'SUCCESS', output: { hits: 3 } }, { status: 'SUCCESS', output: { hits: 3 } }],
    [{ status: 'FAILURE', output: 'partial' }, { status: 'FAILURE', output: 'partial' }],
    [{ status: 'SUCCESS' }, { status: 'SUCCESS' }],
  ] as const)('maps %p to %p', (outcome, reply) => {
    expect(replyOf(outcome)).toEqual(reply);
  });

  it('fails an unknown status and says why', () => {
    expect(replyOf('RUNNING')).toEqual({
      status: 'FAILURE',
      error: 'handler returned "RUNNING", not SUCCESS/FAILURE/boolean',
    });
  });
});

describe(failureOf.name, () => {
  it('carries the error message', () => {
    expect(failureOf(new Error('jammed'))).toEqual({ status: 'FAILURE', error: 'jammed' });
    expect(failureOf('plain')).toEqual({ status: 'FAILURE', error: 'plain' });
  });
});
