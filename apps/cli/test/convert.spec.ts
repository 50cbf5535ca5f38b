import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/main';
import { captureIo } from './capture-io';

const harness = captureIo;

const dir = () => mkdtempSync(join(tmpdir(), 'canopy-convert-'));

describe('canopy import / export', () => {
  it('imports a BT.CPP file with an include from a folder, prints canonical source that runs', async () => {
    const d = dir();
    mkdirSync(join(d, 'sub'));
    writeFileSync(join(d, 'sub/talk.xml'), '<root BTCPP_format="4"><BehaviorTree ID="Talk"><Say text="{greeting}"/></BehaviorTree></root>');
    writeFileSync(
      join(d, 'main.xml'),
      '<root BTCPP_format="4" main_tree_to_execute="Main">\n  <include path="sub/talk.xml"/>\n  <BehaviorTree ID="Main">\n    <Sequence>\n      <Script code="greeting:=\'hi\'"/>\n      <Talk/>\n    </Sequence>\n  </BehaviorTree>\n</root>\n',
    );
    const h = harness();
    const out = join(d, 'main.lisp');
    expect(await main(['import', join(d, 'main.xml'), '--out', out], h.io)).toBe(0);
    expect(h.err()).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(
      '(tree "Main"\n  (sequence\n    (set "greeting" "hi")\n    (subtree "Talk")))\n\n(tree "Talk"\n  (action Say :text $greeting))\n',
    );
    // The imported file is a Canopy file like any other.
    const check = harness();
    expect(await main(['check', out], check.io)).toBe(0);
  });

  it('refuses what it cannot carry over, at file:line:column, with exit 2 and nothing written', async () => {
    const d = dir();
    const file = join(d, 'x.xml');
    writeFileSync(file, '<root>\n  <BehaviorTree ID="T">\n    <IfThenElse><A/><B/><C/></IfThenElse>\n  </BehaviorTree>\n</root>\n');
    const h = harness();
    expect(await main(['import', file, '--out', join(d, 'x.lisp')], h.io)).toBe(2);
    expect(h.err()).toBe(`${file}:3:5: IfThenElse has no Canopy equivalent: use a selector of (sequence CONDITION THEN) and ELSE, which also runs ELSE when THEN fails\n`);
    expect(() => readFileSync(join(d, 'x.lisp'))).toThrow();
  });

  it("the README's example imports, with its one note, and exports back to the same tree", async () => {
    const example = join(__dirname, '../../../examples/crossdoor.xml');
    const d = dir();
    const h = harness();
    expect(await main(['import', example, '--out', join(d, 'cd.lisp')], h.io)).toBe(0);
    expect(h.err()).toBe(`${example}:9:9: note: port "attempts" of SubTree "OpenDoor" is passed in when the subtree starts; a value the subtree writes to it is not copied back\n`);
    const e = harness();
    expect(await main(['export', join(d, 'cd.lisp'), '--to', 'btcpp', '--out', join(d, 'back.xml')], e.io)).toBe(0);
    const again = harness();
    expect(await main(['import', join(d, 'back.xml')], again.io)).toBe(0);
    expect(again.out()).toBe(readFileSync(join(d, 'cd.lisp'), 'utf8'));
  });

  it('imports MDSL by its extension', async () => {
    const d = dir();
    writeFileSync(join(d, 'a.mdsl'), 'root { sequence { action [Walk] wait [10] } }');
    const h = harness();
    expect(await main(['import', join(d, 'a.mdsl')], h.io)).toBe(0);
    expect(h.out()).toBe('(tree "main"\n  (sequence\n    (action Walk)\n    (wait :ms 10)))\n');
  });

  it('exports to BT.CPP XML, and names the source position of what BT.CPP cannot express', async () => {
    const d = dir();
    const good = join(d, 'good.lisp');
    writeFileSync(good, '(tree "t"\n  (retry :times 2\n    (action Open :door $door)))\n');
    const h = harness();
    expect(await main(['export', good, '--to', 'btcpp'], h.io)).toBe(0);
    expect(h.out()).toContain('<RetryUntilSuccessful num_attempts="2">\n      <Open door="{door}"/>');
    const bad = join(d, 'bad.lisp');
    writeFileSync(bad, '(tree "t"\n  (sequence\n    (action Open)\n    (log "done")))\n');
    const b = harness();
    expect(await main(['export', bad, '--to', 'btcpp'], b.io)).toBe(2);
    expect(b.err()).toBe(`${bad}:4:6: log has no BehaviorTree.CPP equivalent: BT.CPP has no log node\n`);
  });

  it('usage errors: a format it cannot tell, or --to missing', async () => {
    const h = harness();
    expect(await main(['import', 'tree.txt'], h.io)).toBe(2);
    expect(h.err()).toContain('--from must be btcpp or mdsl');
    const e = harness();
    expect(await main(['export', 'x.lisp'], e.io)).toBe(2);
    expect(e.err()).toContain('export needs --to btcpp');
  });
});
