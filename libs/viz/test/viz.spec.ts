import { buildTree, ManualClock, type NodeInfo, type TreeDocument } from '@canopy/engine';
import {
  PNG_SIGNATURE,
  renderPng,
  renderSvg,
  runningPath,
  STATUS_FILL,
  STATUS_PEN,
  toDot,
  VizError,
} from '../src';

/** root(sequence) -> a(succeed), b(selector "pick") -> c(wait) */
const NODES: NodeInfo[] = [
  { id: 'root', type: 'sequence', childIds: ['a', 'b'], depth: 0 },
  { id: 'a', type: 'success', parentId: 'root', childIds: [], depth: 1 },
  { id: 'b', type: 'selector', name: 'pick', parentId: 'root', childIds: ['c'], depth: 1 },
  { id: 'c', type: 'wait', parentId: 'b', childIds: [], depth: 2 },
];

/** The `<g class="node">` group of a tree node in Graphviz SVG, found by its SVG id `node:<id>`. */
function svgNode(svg: string, id: string): string {
  const groups = svg.match(/<g id="[^"]*" class="node">[\s\S]*?<\/g>/g) ?? [];
  const group = groups.find((g) => decode(/^<g id="([^"]*)"/.exec(g)?.[1] ?? '') === `node:${id}`);
  if (!group) throw new Error(`no node with id ${id} in the SVG`);
  return group;
}

/** The DOT statement of a node, found by its id attribute. */
const dotNode = (dot: string, id: string) =>
  dot.split('\n').find((l) => l.includes(` [id="node:${id}"`)) as string;
/** `[from, to]` node ids of every edge, from the DOT names. */
function dotEdges(dot: string): { from: string; to: string; line: string }[] {
  const idOf = new Map(
    [...dot.matchAll(/^ {2}(n\d+) \[id="node:([^"]*)"/gm)].map((m) => [m[1], m[2]] as const),
  );
  return [...dot.matchAll(/^ {2}(n\d+) -> (n\d+) .*$/gm)].map((m) => ({
    from: idOf.get(m[1]) as string,
    to: idOf.get(m[2]) as string,
    line: m[0],
  }));
}

const decode = (text: string) =>
  text
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

const fillOf = (group: string) => /<(?:path|polygon) fill="([^"]+)"/.exec(group)?.[1];

describe(toDot.name, () => {
  it('draws a top-down digraph with one box per node and one edge per child', () => {
    const dot = toDot(NODES, { title: 'demo' });
    expect(dot.startsWith('digraph "canopy" {')).toBe(true);
    expect(dot).toContain('rankdir=TB');
    expect(dot).toContain('label="demo"');
    NODES.forEach((n, i) => expect(dot).toContain(`  n${i} [id="node:${n.id}"`));
    expect(dotEdges(dot).map((e) => [e.from, e.to])).toEqual([
      ['root', 'a'],
      ['root', 'b'],
      ['b', 'c'],
    ]);
    // Label: type, name when present, id.
    expect(dot).toContain(
      'label=<<b>selector</b><br/>pick<br/><font point-size="9" color="#374151">b</font>>',
    );
  });

  it('fills each node by status (IDLE when unknown) and thickens the running path', () => {
    const dot = toDot(NODES, {
      statuses: { root: 'RUNNING', a: 'SUCCESS', b: 'RUNNING', c: 'RUNNING' },
    });
    const line = (id: string) => dotNode(dot, id);
    expect(line('a')).toContain(`fillcolor="${STATUS_FILL.SUCCESS}"`);
    expect(line('c')).toContain(`fillcolor="${STATUS_FILL.RUNNING}"`);
    expect(line('c')).toContain('penwidth=3');
    expect(line('a')).not.toContain('penwidth');
    const edge = (from: string, to: string) =>
      dotEdges(dot).find((e) => e.from === from && e.to === to)?.line as string;
    expect(edge('root', 'b')).toContain('style=bold');
    expect(edge('b', 'c')).toContain(`color="${STATUS_PEN.RUNNING}"`);
    expect(edge('root', 'a')).not.toContain('bold');

    expect(toDot(NODES)).toContain(`fillcolor="${STATUS_FILL.IDLE}"`);
    expect(toDot(NODES)).not.toContain(STATUS_FILL.RUNNING);
  });

  it('finds the path from the root to every running leaf', () => {
    const statuses = { root: 'RUNNING', b: 'RUNNING', c: 'RUNNING', a: 'SUCCESS' } as const;
    expect(
      [...runningPath(NODES, (id) => statuses[id as keyof typeof statuses] ?? 'IDLE')].sort(),
    ).toEqual(['b', 'c', 'root']);
    expect(runningPath(NODES, () => 'IDLE').size).toBe(0);
  });

  it('escapes ids, names and blackboard values', () => {
    const nodes: NodeInfo[] = [
      { id: 'x"y\\N', type: 'sequence', name: '<b>&"quoted"\n', childIds: [], depth: 0 },
    ];
    const dot = toDot(nodes, {
      title: 'say "hi"\\n',
      blackboard: { 'k<1>': 'a & b', deep: { list: [1, 2] }, long: 'z'.repeat(200) },
    });
    expect(dot).toContain('  n0 [id="node:x\\"y\\\\N"');
    expect(dot).toContain('label="say \\"hi\\"\\\\n"');
    expect(dot).toContain('&lt;b&gt;&amp;&quot;quoted&quot;');
    expect(dot).not.toContain('<b>&');
    expect(dot).toContain(
      '<td align="left">k&lt;1&gt;</td><td align="left">&quot;a &amp; b&quot;</td>',
    );
    expect(dot).toContain('{&quot;list&quot;:[1,2]}');
    expect(dot).toContain(`&quot;${'z'.repeat(78)}…`);
  });

  it('renders what it escapes: Graphviz accepts hostile names', async () => {
    const nodes: NodeInfo[] = [
      { id: 'a]b;c{d}', type: 'sequence', name: '<table>&x;</td>"', childIds: ['e\\l'], depth: 0 },
      { id: 'e\\l', type: 'wait', parentId: 'a]b;c{d}', childIds: [], depth: 1 },
    ];
    const svg = await renderSvg(toDot(nodes, { blackboard: { '</table>': '<br/>' } }));
    expect(decode(svgNode(svg, 'a]b;c{d}'))).toContain('<table>&x;</td>"');
    expect(svgNode(svg, 'e\\l')).toBeDefined();
  });
});

describe(renderSvg.name, () => {
  it('draws a RUNNING node with the running fill on its own shape', async () => {
    // A real tree, ticked once: the wait node (and its ancestors) are RUNNING.
    const doc: TreeDocument = {
      format: 'canopy/1',
      trees: [
        {
          name: 't',
          root: {
            type: 'sequence',
            id: 'root',
            children: [
              { type: 'success', id: 'first' },
              { type: 'wait', id: 'slow', kwargs: { ms: 1000 } },
            ],
          },
        },
      ],
    };
    const tree = buildTree(doc, { clock: new ManualClock(0) });
    tree.tick();
    expect(tree.statusOf('slow')).toBe('RUNNING');
    const svg = await renderSvg(toDot(tree.nodes, { statuses: tree.statuses() }));

    expect(svg).toMatch(/^<\?xml/);
    expect(fillOf(svgNode(svg, 'slow'))).toBe(STATUS_FILL.RUNNING);
    expect(fillOf(svgNode(svg, 'first'))).toBe(STATUS_FILL.SUCCESS);
    expect(svgNode(svg, 'slow')).toContain('id="node:slow"');
    expect(svgNode(svg, 'slow')).toContain(`stroke-width="3"`);
  });

  it('reports Graphviz errors', async () => {
    await expect(renderSvg('digraph { a -> }')).rejects.toThrow(VizError);
    await expect(renderSvg('digraph { a -> }')).rejects.toThrow(/syntax error/);
  });
});

describe(renderPng.name, () => {
  it('rasterises DOT and SVG into PNG', async () => {
    const dot = toDot(NODES, { statuses: { c: 'RUNNING' }, blackboard: { battery: 30 } });
    const fromDot = await renderPng(dot);
    expect(fromDot.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const fromSvg = await renderPng(await renderSvg(dot), { zoom: 1 });
    expect(fromSvg.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    // The IHDR chunk holds the size: zoom 1.5 makes the DOT picture 1.5 times the SVG one.
    expect(fromDot.readUInt32BE(16)).toBeGreaterThan(fromSvg.readUInt32BE(16));
  });
});
