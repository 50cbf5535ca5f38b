import { ErrorCodes } from '@canopy/contracts';
import { authHeaders, GatewayApi, type Stack } from '@canopy/testing';
import fc from 'fast-check';
import { type FuzzRequest, requestArb, type Route, routesOf, sample } from './support/fuzz-requests';
import { startE2eStack } from './support/e2e-stack';

/** FUZZ_SEED reproduces a run; the seed of every run is printed. */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
/** Requests per route; FUZZ_RUNS for a longer hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);
/** The whole fuzz stops after this long, whatever is left (the issue asks for about a minute). */
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 45_000);
/** A request that takes longer is a failure (a tick of 10,000 is the slowest thing asked). */
const REQUEST_TIMEOUT_MS = 15_000;

/** Headers of every request, in this one place (a route answering 401/403 is a fine 4xx for the fuzz). */
function baseHeaders(): Record<string, string> {
  // The admin key: every route is reached past authentication (its own 401/403 are tested in the
  // gateway's auth spec); a fuzzed header may still replace it.
  return authHeaders();
}

/** Valid bodies where a schema's sample would not reach the handler (a real tree, a real key). */
const EXAMPLES: Record<string, unknown> = {
  'POST /trees': { source: '(tree "fuzz-tree" (sequence (success) (running)))' },
  'POST /executions': { tree: 'fuzz-tree', blackboard: { n: 1 } },
  'PUT /blackboard/{scope}/keys/{key}': { value: { a: [1, 'two'] } },
  'POST /executions/{id}/tick': { count: 2 },
  'POST /executions/{id}/trigger': { name: 'poke', payload: { x: 1 } },
  'PUT /executions/{id}/tree': { source: '(tree "fuzz-tree" (sequence (success) (running)))' },
  'POST /executions/{id}/breakpoints': { nodeId: '0.1' },
  'POST /executions/{id}/watches': { key: 'n' },
};

interface Problem {
  request: string;
  status: number;
  body: string;
  why: string;
}

describe('fuzz of every route (fast-check)', () => {
  let stack: Stack;
  let api: GatewayApi;
  let routes: Route[];
  const known: Record<string, string[]> = {};

  beforeAll(async () => {
    stack = await startE2eStack({ label: 'fuzz' });
    api = new GatewayApi(stack.gateway.url);
    await api.registerTree('(tree "fuzz-tree" (sequence (success) (running)))');
    const exec = await api.createExecution({ tree: 'fuzz-tree', id: 'fuzz-exec', blackboard: { n: 1 } });
    await api.tick(exec.id, 2);
    await api.ok(api.put('/blackboard/global/keys/fuzz-key', { value: 1 }));
    Object.assign(known, {
      id: [exec.id],
      name: ['fuzz-tree'],
      tree: ['fuzz-tree'],
      scope: ['global', 'exec:fuzz-exec', 'team:fuzz-team'],
      key: ['fuzz-key', 'a/b.c'],
      nodeId: ['0', '0.1'],
      tick: ['1', '2'],
      v: ['1'],
      watchId: ['w1'],
    });
    const doc = await api.ok(api.get<Parameters<typeof routesOf>[0]>('/openapi.json'));
    routes = routesOf(doc);
    process.stdout.write(`fuzz: FUZZ_SEED=${SEED}, ${routes.length} routes, ${RUNS} requests each\n`);
  }, 180_000);

  afterAll(async () => {
    await stack?.dispose();
  }, 60_000);

  it('derives the routes from the OpenAPI document: all of them, with their parameters', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`);
    // A few that must be there (the document is the list; these guard against an empty one).
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /trees',
        'POST /executions',
        'POST /executions/{id}/tick',
        'PUT /blackboard/{scope}/keys/{key}',
      ]),
    );
    expect(routes.length).toBeGreaterThan(30);
  });

  it('never answers 5xx, always answers 4xx in the one error shape, and every service stays up', async () => {
    const problems: Problem[] = [];
    const deadline = Date.now() + BUDGET_MS;
    const perRouteMs = BUDGET_MS / routes.length;
    for (const [i, route] of routes.entries()) {
      if (Date.now() > deadline) break;
      const example = EXAMPLES[`${route.method} ${route.path}`] ?? sample(route.body);
      await fc.assert(
        fc.asyncProperty(requestArb(route, known, example, baseHeaders), async (req) => {
          const problem = await check(stack.gateway.url, req);
          if (problem) problems.push(problem);
        }),
        {
          seed: SEED + i,
          numRuns: RUNS,
          interruptAfterTimeLimit: perRouteMs,
          markInterruptAsFailure: false,
        },
      );
    }
    // One of each kind (route, status, what is wrong), so that a run shows every distinct problem.
    const kinds = new Map<string, Problem>();
    for (const p of problems) kinds.set(`${p.request.split(' (')[0].split('?')[0]} ${p.status} ${p.why}`, p);
    expect({ seed: SEED, problems: [...kinds.values()].slice(0, 12), count: problems.length }).toEqual({
      seed: SEED,
      problems: [],
      count: 0,
    });
    for (const service of stack.all()) {
      expect({ service: service.name, running: service.running }).toEqual({ service: service.name, running: true });
      const ready = await fetch(`${service.url}/readyz`);
      expect({ service: service.name, readyz: ready.status }).toEqual({ service: service.name, readyz: 200 });
    }
  }, 120_000);
});

const KNOWN_CODES = new Set(Object.keys(ErrorCodes));

/** Sends one request; what is wrong with the answer, if anything. */
async function check(baseUrl: string, req: FuzzRequest): Promise<Problem | undefined> {
  const described = `${req.method} ${req.path.slice(0, 300)} (${req.note}; headers ${JSON.stringify(req.headers).slice(0, 300)}; body ${String(req.body).slice(0, 200)})`;
  let res: Response;
  try {
    res = await send(baseUrl, req);
  } catch (error) {
    const failure: Problem = { request: described, status: 0, body: '', why: `no answer: ${(error as Error).message}` };
    // A request line or headers over the server's limit are answered 414/431 at once and the
    // connection closed, as HTTP servers do: a client still writing a large body then sees the
    // close, not the answer. The same request without its body must get that answer, well formed.
    if (req.body === undefined) return failure;
    const { 'content-type': _type, ...headers } = req.headers;
    try {
      const again = await send(baseUrl, { ...req, headers, body: undefined });
      if (again.status !== 414 && again.status !== 431) {
        await again.body?.cancel();
        return failure;
      }
      return judge(described, again);
    } catch {
      return failure;
    }
  }
  return judge(described, res);
}

function send(baseUrl: string, req: FuzzRequest): Promise<Response> {
  return fetch(`${baseUrl}${req.path}`, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

/** A success, or a 4xx in the one error shape with a known code and its status. */
async function judge(described: string, res: Response): Promise<Problem | undefined> {
  if (res.status < 400) {
    // A stream (SSE) would never end: the status is all that is checked of a success.
    await res.body?.cancel();
    return undefined;
  }
  const text = await res.text();
  if (res.status >= 500) return { request: described, status: res.status, body: text.slice(0, 500), why: '5xx' };
  let body: { error?: { code?: unknown; message?: unknown } } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return { request: described, status: res.status, body: text.slice(0, 500), why: '4xx body is not JSON' };
  }
  const code = body?.error?.code;
  if (typeof code !== 'string' || !KNOWN_CODES.has(code) || typeof body?.error?.message !== 'string') {
    return { request: described, status: res.status, body: text.slice(0, 500), why: '4xx not in the error shape with a known code' };
  }
  if (ErrorCodes[code as keyof typeof ErrorCodes] !== res.status) {
    return { request: described, status: res.status, body: text.slice(0, 500), why: `status ${res.status} is not the status of ${code}` };
  }
  return undefined;
}
