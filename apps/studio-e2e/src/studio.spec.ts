import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayApi, REPO_ROOT, startStack, type Stack, TEST_ADMIN_KEY } from '@canopy/testing';
import type { Browser, Page } from 'playwright-core';
import { ensureStudioBuilt, launchChromium, screenshotPath } from './browser';
import { summarizeTrace, TRACE_CATEGORIES } from './trace';
import { BROKEN_TREE, DEMO_TREE, DEMO_TREE_V2, flippingTree } from './trees';

/**
 * Studio in Debian's Chromium against a real stack with auth on: what a tree developer does with
 * it, end to end. Every wait is on a UI state (Playwright's auto-waiting locators), never a delay.
 */
describe('Studio in a browser', () => {
  let stack: Stack;
  let api: GatewayApi;
  let browser: Browser;
  let page: Page;
  let base: string;
  const pageErrors: string[] = [];

  const node = (id: string, status?: string) =>
    page.locator(`.bt-node[data-node-id="${id}"]${status ? `[data-status="${status}"]` : ''}`);
  const tickShown = (n: number) => page.getByTestId('exec-tick').filter({ hasText: new RegExp(`^tick ${n}$`) });
  const shoot = async (name: string) => {
    const path = screenshotPath(name);
    if (path) await page.screenshot({ path });
  };

  beforeAll(async () => {
    ensureStudioBuilt();
    stack = await startStack({ label: 'studio' });
    base = stack.gateway.url;
    api = new GatewayApi(base);
    await api.registerTree(DEMO_TREE);
    await api.registerTree(readFileSync(join(REPO_ROOT, 'examples', 'robot-patrol.lisp'), 'utf8'));
    await api.createExecution({ tree: 'studio-demo', id: 'studio-1', blackboard: { count: 0 } });
    await api.createExecution({ tree: 'robot-patrol', id: 'patrol-red', team: 'red', blackboard: { battery: 60 } });
    await api.createExecution({ tree: 'studio-demo', id: 'demo-blue', team: 'blue' });
    await api.tick('patrol-red', 3);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    // A CSP refusal or a script error shows up here (the gateway's CSP is on every response).
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused/i.test(m.text())) pageErrors.push(m.text());
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.dispose();
  });

  it('serves the app at /studio: SPA routes on reload, cached assets, public, not in the OpenAPI', async () => {
    const spa = await fetch(`${base}/studio/executions/studio-1`);
    expect(spa.status).toBe(200);
    expect(spa.headers.get('content-type')).toContain('text/html');
    expect(spa.headers.get('cache-control')).toBe('no-cache');
    expect(spa.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await spa.text();
    const asset = /src="(\/studio\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${base}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // React's production build (what users get, and what the last case measures): its development
    // build, which a build under Jest's NODE_ENV=test made, wraps its modules in these DevTools calls.
    expect(await js.text()).not.toContain('registerInternalModuleStart');
    const missing = await fetch(`${base}/studio/assets/nope.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    const escape = await fetch(`${base}/studio/..%2f..%2fpackage.json`);
    expect(escape.status).toBe(404);
    const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths).filter((p) => p.startsWith('/studio'))).toEqual([]);
    expect(Object.keys(openapi.paths)).toContain('/trees/check');
  });

  it('reads the key from #key=, keeps it for the session and takes it out of the address bar', async () => {
    await page.goto(`${base}/studio#key=${TEST_ADMIN_KEY}`);
    await page.locator('tr[data-exec-id="studio-1"]').waitFor();
    expect(page.url()).toBe(`${base}/studio`);
    expect(await page.evaluate(() => sessionStorage.getItem('canopy.studio.key'))).toBe(TEST_ADMIN_KEY);
    // Progress of the patrol (ticked 3 times), from the 2 s poll. Its tree has neither progress
    // marks nor a root sequence: the route answers `percent: null` (unknown), shown as '—' (it
    // showed 0% while Studio's hand-written types said the percent was always a number).
    await page.locator('tr[data-exec-id="patrol-red"] td[data-progress-source="polled"] .progress-label').filter({ hasText: /^—$/ }).waitFor();
    // Pushed: the first tick of a new execution reaches the list as history's
    // execution_progress event on GET /ws (its first progress is always published).
    await api.createExecution({ tree: 'studio-demo', id: 'demo-pushed', blackboard: { count: 0 } });
    await page.locator('tr[data-exec-id="demo-pushed"]').waitFor();
    await api.tick('demo-pushed', 1);
    await page.locator('tr[data-exec-id="demo-pushed"] td[data-progress-source="pushed"]').waitFor();
    await page.getByLabel('Filter executions').fill('studio');
    await page.locator('tr[data-exec-id="patrol-red"]').waitFor({ state: 'detached' });
    await page.getByLabel('Filter executions').fill('');
    await page.locator('tr[data-exec-id="patrol-red"]').waitFor();
    await shoot('executions');

    // Create one from the form: it shows up in the list, and on the gateway.
    await page.getByRole('button', { name: 'New execution' }).click();
    const form = page.getByRole('form', { name: 'New execution' });
    await form.getByLabel('Tree').selectOption('studio-demo');
    await form.getByLabel('Id').fill('made-in-studio');
    await form.getByLabel('Team').fill('red');
    await form.getByLabel('Initial blackboard (JSON)').fill('{"count": 5}');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.locator('tr[data-exec-id="made-in-studio"]').waitFor();
    expect((await api.get<{ value: unknown }>('/blackboard/exec:made-in-studio/keys/count')).body.value).toBe(5);

    // The team view: the team's executions side by side.
    await page.locator('tr[data-exec-id="patrol-red"]').getByRole('link', { name: 'red', exact: true }).click();
    await page.waitForURL(`${base}/studio/teams/red`);
    await page.locator('.exec-card').filter({ hasText: 'patrol-red' }).waitFor();
    await page.locator('.exec-card').filter({ hasText: 'made-in-studio' }).waitFor();
    await page.goBack();
    await page.locator('tr[data-exec-id="studio-1"]').waitFor();
  });

  it('asks for a key when it has none', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(`${base}/studio`);
      await other.getByText('Studio needs an API key').waitFor();
      await other.getByLabel('API key').fill(TEST_ADMIN_KEY);
      await other.getByRole('button', { name: 'Use this key' }).click();
      await other.locator('tr[data-exec-id="studio-1"]').waitFor();
    } finally {
      await other.close();
    }
  });

  it('asks for another key when the gateway answers 401 to the one it has', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(`${base}/studio#key=cnpy_not-a-key`);
      await other.getByText('The gateway did not accept the key (401)').waitFor();
      await other.getByLabel('API key').fill(TEST_ADMIN_KEY);
      await other.getByRole('button', { name: 'Use this key' }).click();
      await other.locator('tr[data-exec-id="studio-1"]').waitFor();
      expect(await other.evaluate(() => sessionStorage.getItem('canopy.studio.key'))).toBe(TEST_ADMIN_KEY);
    } finally {
      await other.close();
    }
  });

  it('shows the tree live, ticks, breaks on a clicked node, steps, edits the blackboard', async () => {
    await page.locator('tr[data-exec-id="studio-1"] a').first().click();
    await page.waitForURL(`${base}/studio/executions/studio-1`);
    // The tree by its node names and ids.
    for (const id of ['main', 'work', '0.0', '0.1.0', '0.1.1', '0.2']) await node(id, 'IDLE').waitFor();

    // Tick 1: count becomes 1, the condition fails, so does "work".
    await page.getByRole('button', { name: 'Tick', exact: true }).click();
    await tickShown(1).waitFor();
    await node('work', 'FAILURE').waitFor();
    await node('0.0', 'SUCCESS').waitFor();

    // A breakpoint by clicking the node; the next tick stops before it.
    await node('work').click();
    await page.locator('.bt-node[data-node-id="work"][data-breakpoint="on"]').waitFor();
    await page.getByRole('button', { name: 'Tick', exact: true }).click();
    await page.locator('.bt-node.paused[data-node-id="work"]').waitFor();
    // The store follows the ticks (tick 1 wrote count 1) ...
    await page.locator('.bb-scope[data-scope="exec:studio-1"] tr[data-key="count"] .value-button').filter({ hasText: /^1$/ }).waitFor();
    // ... and the mid-tick blackboard: this tick's own write (count 2) is visible before it commits.
    await page.locator('.frozen .bb-scope').first().locator('tr[data-key="count"] td.value').filter({ hasText: /^2$/ }).waitFor();
    await shoot('paused');

    await page.locator('.bt-node[data-node-id="work"][data-paused="before"]').waitFor();
    // Into the sequence: before its first child; over the log: after it.
    await page.getByRole('button', { name: 'Step into' }).click();
    await page.locator('.bt-node[data-node-id="0.1.0"][data-paused="before"]').waitFor();
    await page.getByRole('button', { name: 'Step over' }).click();
    await page.locator('.bt-node[data-node-id="0.1.0"][data-paused="after"]').waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    await tickShown(2).waitFor();
    await node('work', 'SUCCESS').waitFor();
    await page.locator('.bt-node.paused').waitFor({ state: 'detached' });
    // Click again: the breakpoint goes.
    await node('work').click();
    await page.locator('.bt-node[data-node-id="work"][data-breakpoint="off"]').waitFor();

    // Edit count in place (compare-and-set on the version read).
    const count = page.locator('.bb-scope[data-scope="exec:studio-1"] tr[data-key="count"]');
    await count.locator('.value-button').filter({ hasText: /^2$/ }).click();
    await count.getByLabel('value of count').fill('10');
    await count.getByRole('button', { name: 'Save' }).click();
    await count.locator('.value-button').filter({ hasText: /^10$/ }).waitFor();
    expect((await api.get<{ value: unknown }>('/blackboard/exec:studio-1/keys/count')).body.value).toBe(10);

    // Someone else writes between our read and our save: shown as a conflict with their value.
    await count.locator('.value-button').click();
    const put = await api.request('PUT', '/blackboard/exec:studio-1/keys/count', { value: 11 });
    expect(put.status).toBe(200);
    await count.getByLabel('value of count').fill('12');
    await count.getByRole('button', { name: 'Save' }).click();
    const conflict = page.locator('.bb-scope[data-scope="exec:studio-1"] .conflict');
    await conflict.filter({ hasText: 'Version conflict on count' }).filter({ hasText: '11' }).waitFor();
    await conflict.getByRole('button', { name: 'Keep theirs' }).click();
    expect((await api.get<{ value: unknown }>('/blackboard/exec:studio-1/keys/count')).body.value).toBe(11);

    // The small form: a conditional fault-injection breakpoint and a watch, set and removed.
    await page.getByRole('tab', { name: 'Breakpoints & watches' }).click();
    const bpForm = page.getByRole('form', { name: 'New breakpoint' });
    await bpForm.getByLabel('Breakpoint node').fill('0.1.1');
    await bpForm.getByLabel('Breakpoint mode').selectOption('replace');
    await bpForm.getByLabel('Replace status').selectOption('FAILURE');
    await bpForm.getByLabel('Condition').fill('(> $count 100)');
    await bpForm.getByRole('button', { name: 'Add breakpoint' }).click();
    const listed = page.locator('li[data-breakpoint-node="0.1.1"]');
    await listed.filter({ hasText: 'replace → FAILURE' }).filter({ hasText: '(> $count 100)' }).waitFor();
    const stored = (await api.get<{ nodeId: string; mode: string; status: string; condition: string }[]>('/executions/studio-1/breakpoints')).body;
    expect(stored).toEqual([expect.objectContaining({ nodeId: '0.1.1', mode: 'replace', status: 'FAILURE', condition: '(> $count 100)' })]);
    const watchForm = page.getByRole('form', { name: 'New watch' });
    await watchForm.getByLabel('Watch key').fill('count');
    await watchForm.getByRole('button', { name: 'Add watch' }).click();
    await page.locator('li[data-watch-key="count"]').getByRole('button', { name: 'remove' }).waitFor();
    expect((await api.get<{ key: string }[]>('/executions/studio-1/watches')).body.map((w) => w.key)).toEqual(['count']);
    await page.locator('li[data-watch-key="count"]').getByRole('button', { name: 'remove' }).click();
    await listed.getByRole('button', { name: 'remove' }).click();
    await listed.waitFor({ state: 'detached' });
    await page.locator('.bt-node[data-node-id="0.1.1"][data-breakpoint="off"]').waitFor();
    expect((await api.get<unknown[]>('/executions/studio-1/watches')).body).toEqual([]);

    // The event log, filtered by type and by node.
    await page.getByRole('tab', { name: 'Events' }).click();
    await page.getByLabel('Event type').selectOption('tick_complete');
    await page.locator('.event-list li').first().waitFor();
    expect(new Set(await page.locator('.event-list .ev-type').allTextContents())).toEqual(new Set(['tick_complete']));
    await page.getByLabel('Event type').selectOption('');
    await page.getByLabel('Event node').fill('0.1.1');
    await page.locator('.event-list li').first().waitFor();
    for (const text of await page.locator('.event-list li').allTextContents()) expect(text).toContain('0.1.1');
    await page.getByRole('tab', { name: 'Blackboard' }).click();
  });

  it('scrubs the timeline to a past tick, diffs two ticks', async () => {
    await page.getByRole('tab', { name: 'Time travel' }).click();
    await page.getByTestId('viewing-tick').filter({ hasText: 'tick 2' }).waitFor();
    await page.getByLabel('Timeline').fill('1');
    await page.getByTestId('viewing-tick').filter({ hasText: 'tick 1' }).waitFor();
    await page.locator('.past-banner').filter({ hasText: 'Viewing tick 1' }).waitFor();
    await node('work', 'FAILURE').waitFor();
    await page.getByLabel('Diff to').fill('2');
    await page.getByRole('button', { name: 'Diff', exact: true }).click();
    await page.locator('.diff tr').filter({ hasText: 'work' }).filter({ hasText: 'FAILURE' }).filter({ hasText: 'SUCCESS' }).waitFor();
    await shoot('time-travel');
    await page.locator('.past-banner').getByRole('button', { name: 'Back to live' }).click();
    await node('work', 'SUCCESS').waitFor();

    // Per-node stats from the history, as an overlay with heat.
    await page.getByLabel('Stats').check();
    await node('main').locator('.bt-stats').filter({ hasText: '×' }).waitFor();
    await node('main').locator('.heat[data-heat]').waitFor({ state: 'attached' });
    await page.getByLabel('Stats').uncheck();
    await node('main').locator('.bt-stats').waitFor({ state: 'detached' });

    // Fork from a past tick: a new execution that continues from there, opened at once.
    await page.getByRole('tab', { name: 'Time travel' }).click();
    await page.getByLabel('Timeline').fill('1');
    await page.getByRole('button', { name: 'Fork from tick 1' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/studio/executions/') && !url.pathname.endsWith('/studio-1'));
    const forkId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
    await tickShown(1).waitFor();
    await node('work').waitFor();
    expect((await api.execution(forkId)).tick).toBe(1);
    await page.goBack();
    await page.waitForURL(`${base}/studio/executions/studio-1`);
    await tickShown(2).waitFor();
  });

  it('shows compile errors inline as you type, refuses a broken reload, applies a good one', async () => {
    await page.getByRole('tab', { name: 'Source' }).click();
    const editor = page.locator('.cm-content');
    await editor.filter({ hasText: 'studio-demo' }).waitFor();
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.insertText(BROKEN_TREE);
    // The gateway's compile check, positioned in the text.
    await page.locator('.cm-lintRange-error').first().waitFor();
    await page.getByRole('button', { name: 'Apply (hot reload)' }).click();
    await page.getByTestId('reload-result').filter({ hasText: 'COMPILE_FAILED' }).waitFor();
    await page.getByTestId('reload-result').filter({ hasText: "unknown node type 'no-such-node'" }).waitFor();
    await shoot('editor-error');

    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.insertText(DEMO_TREE_V2);
    await page.locator('.cm-lintRange-error').first().waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Apply (hot reload)' }).click();
    await page.getByTestId('reload-result').filter({ hasText: 'Reloaded v1 → v2' }).waitFor();
    // The canvas follows the reload (tree_reloaded on the WebSocket): the new node is there.
    await node('finish', 'IDLE').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('measures: first render of a 1,000-node tree, main-thread tasks of a 200-node tree at 10 Hz', async () => {
    await api.registerTree(flippingTree('wide-1000', 250));
    await api.registerTree(flippingTree('flip-200', 50));
    await api.createExecution({ tree: 'wide-1000', id: 'wide-1000' });
    await api.createExecution({ tree: 'flip-200', id: 'flip-200' });

    await page.goto(`${base}/studio/executions/wide-1000`);
    await node('root').waitFor();
    const big = await page.evaluate(() => {
      const rendered = performance.getEntriesByName('studio:tree-rendered')[0];
      const loaded = performance.getEntriesByName('studio:structure-loaded')[0];
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const layout = performance.getEntriesByName('studio:layout')[0];
      return {
        // From the navigation (bundle, key, snapshot and tree fetched, laid out, drawn) ...
        sinceNavigationMs: Math.round(rendered?.startTime ?? -1),
        // ... and from the tree's arrival to the drawn canvas.
        afterStructureMs: Math.round((rendered?.startTime ?? -1) - (loaded?.startTime ?? 0)),
        domContentLoadedMs: Math.round(nav.domContentLoadedEventEnd),
        layoutMs: layout?.duration ?? -1,
        boxesInDom: document.querySelectorAll('.bt-node').length,
      };
    });
    console.log(`studio perf: 1,000-node tree first render ${JSON.stringify(big)}`);
    expect(big.sinceNavigationMs).toBeGreaterThan(0);
    // A generous bound (the goal is 1 s, reported in docs/performance.md): a 2-core CI machine runs other tests too.
    expect(big.sinceNavigationMs).toBeLessThan(8000);

    await page.goto(`${base}/studio/executions/flip-200`);
    await node('root').waitFor();
    // All 202 nodes on screen (the default view collapses a tree this wide).
    await page.getByRole('button', { name: 'Expand all' }).click();
    await page.getByRole('button', { name: 'Fit all' }).click();
    await node('0.50.0.0').waitFor();
    expect(await page.locator('.bt-node').count()).toBe(202);
    const tickNow = async () =>
      Number(/tick (\d+)/.exec((await page.getByTestId('exec-tick').textContent()) ?? '')?.[1] ?? Number.NaN);
    const firstTick = await tickNow();
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[]; statusBatches: number[]; torn: string[]; moved: string[] };
      w.longTasks = [];
      new PerformanceObserver((list) => w.longTasks.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'longtask' });
      // What the DOM goes through: per mutation batch (one React commit), how many boxes changed
      // status, and whether the boxes then show one tick (every group's condition in one status,
      // every inverter in one status: a tick shown in parts leaves the groups it has not reached
      // on the tick before); and anything that adds, removes or moves a box (a re-layout or re-mount).
      w.statusBatches = [];
      w.torn = [];
      w.moved = [];
      const statusesOf = (pattern: RegExp) =>
        new Set(
          Array.from(document.querySelectorAll('.bt-node'))
            .filter((el) => pattern.test(el.getAttribute('data-node-id') ?? ''))
            .map((el) => el.getAttribute('data-status')),
        );
      const nodes = document.querySelector('.react-flow__nodes');
      if (!nodes) throw new Error('no .react-flow__nodes');
      new MutationObserver((records) => {
        const changed = new Set<Element>();
        for (const r of records) {
          const el = r.target as Element;
          if (r.type === 'childList' && r.target === nodes) w.moved.push(`${r.addedNodes.length} added, ${r.removedNodes.length} removed`);
          else if (r.type === 'attributes' && el.classList.contains('react-flow__node') && r.attributeName === 'style') w.moved.push(`${el.getAttribute('data-id')} style`);
          else if (r.type === 'attributes' && r.attributeName === 'data-status' && r.oldValue !== el.getAttribute('data-status')) changed.add(el);
        }
        if (changed.size === 0) return;
        w.statusBatches.push(changed.size);
        const conditions = statusesOf(/^0\.\d+\.0\.0$/);
        const inverters = statusesOf(/^0\.\d+\.0$/);
        if (conditions.size > 1 || inverters.size > 1) w.torn.push(`update ${w.statusBatches.length}: ${[...conditions]} / ${[...inverters]}`);
      }).observe(nodes, { subtree: true, childList: true, attributes: true, attributeOldValue: true });
    });
    // STUDIO_E2E_TRACE=1: a Chromium trace of the 10 Hz window, summarised (what the long tasks are).
    const tracing = process.env.STUDIO_E2E_TRACE === '1';
    if (tracing) await browser.startTracing(page, { categories: TRACE_CATEGORIES });
    const started = await page.evaluate(() => performance.now());
    await api.request('POST', '/executions/flip-200/start', { mode: 'interval', intervalMs: 100 });
    // Statuses flip on every tick: see both, then let 50 ticks (5 s at 10 Hz) go by.
    await node('0.1.0.0', 'SUCCESS').waitFor();
    await node('0.1.0.0', 'FAILURE').waitFor();
    await page.waitForFunction(
      () => Number(/tick (\d+)/.exec(document.querySelector('[data-testid="exec-tick"]')?.textContent ?? '')?.[1] ?? 0) >= 50,
      undefined,
      { timeout: 60_000 },
    );
    const run = await page.evaluate((t0) => {
      const w = window as unknown as { longTasks: number[]; statusBatches: number[]; torn: string[]; moved: string[] };
      // Ticks the page showed in parts because no message came for TICK_HOLD_MS (a stalled stack).
      const holdsExpired = performance.getEntriesByName('studio:tick-hold-expired').filter((m) => m.startTime >= t0).length;
      // Runs of events the gateway skipped for this page (it fell behind).
      const drops = performance.getEntriesByName('studio:events-dropped').filter((m) => m.startTime >= t0).length;
      return { windowMs: performance.now() - t0, longTasks: w.longTasks, statusBatches: w.statusBatches, torn: w.torn, moved: w.moved, holdsExpired, drops };
    }, started);
    const ticks = (await tickNow()) - firstTick;
    if (tracing) {
      const summary = summarizeTrace((await browser.stopTracing()).toString('utf8'), 50);
      console.log(`studio perf: trace ${JSON.stringify(summary)}`);
    }
    await api.request('POST', '/executions/flip-200/stop');
    const max = Math.max(0, ...run.longTasks);
    console.log(
      `studio perf: 202-node tree at 10 Hz for ${Math.round(run.windowMs)} ms: ${run.longTasks.length} tasks over 50 ms, longest ${Math.round(max)} ms; ` +
        `${ticks} ticks shown in ${run.statusBatches.length} DOM updates (boxes changed per update: ${run.statusBatches.join(',')}), ${run.torn.length} showing parts of ticks ${JSON.stringify(run.torn)}, ${run.holdsExpired} expired holds, ${run.drops} dropped runs`,
    );
    // The structure of an update, which the machine's load does not decide (the 50 ms goal is
    // timing: `npm run bench:studio` asserts it, docs/performance.md "Studio"). A tick is applied
    // whole, in one commit: at most one DOM update per tick (a page that falls behind applies
    // several ticks in one: two of them cancel each other's flips, so an update's size says
    // nothing), and after every update all 50 groups show the same tick; a tick split over two
    // frames, as Studio did before, leaves groups on different ticks. The allowed splits: when no
    // message arrives for TICK_HOLD_MS (a loaded machine stalls the stack), the page shows the
    // tick as it stands, in at most two parts per expired hold; and where the gateway skipped
    // events for this page (a `dropped` marker), the tick they belonged to is shown without them ...
    expect(ticks).toBeGreaterThanOrEqual(40);
    expect(run.statusBatches.length).toBeGreaterThan(0);
    expect(run.statusBatches.length).toBeLessThanOrEqual(ticks + 2 + run.holdsExpired);
    expect(run.torn.length).toBeLessThanOrEqual(2 * run.holdsExpired + 2 * run.drops);
    // ... and no box added, removed or moved: React Flow's nodes stay as laid out.
    expect(run.moved).toEqual([]);
    // A generous bound on the longest task (a 2-core CI machine runs other tests too).
    expect(max).toBeLessThan(2000);
    expect(pageErrors).toEqual([]);
  });
});
