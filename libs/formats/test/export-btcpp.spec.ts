import { readdirSync } from 'node:fs';
import { exportBtcpp, importBtcpp } from '../src';
import { BTCPP, canopy, fixture, readInclude } from './fixtures';

describe('BehaviorTree.CPP export', () => {
  it('writes v4 XML that BT.CPP users read as the same tree', () => {
    const { xml, issues } = exportBtcpp(
      canopy(`(tree "main"
        (reactive-sequence :name "root"
          (action BatteryOK)
          (parallel :success 1 (action A :to $goal :speed 2) (action B :at $exec:pos))
          (retry :times 3 (timeout :ms 500 (subtree "sub" :x $y)))
          (set "count" 3)
          (set "copy" $count)
          (unset "tmp")))
      (tree "sub" (sequence (run-once (wait :ms 10)) (invert (failure))))`),
    );
    expect(issues).toEqual([]);
    expect(xml).toBe(
      [
        '<root BTCPP_format="4" main_tree_to_execute="main">',
        '  <BehaviorTree ID="main">',
        '    <ReactiveSequence name="root">',
        '      <BatteryOK/>',
        '      <Parallel success_count="1" failure_count="1">',
        '        <A to="{goal}" speed="2"/>',
        '        <B at="{@pos}"/>',
        '      </Parallel>',
        '      <RetryUntilSuccessful num_attempts="3">',
        '        <Timeout msec="500">',
        '          <SubTree ID="sub" x="{y}"/>',
        '        </Timeout>',
        '      </RetryUntilSuccessful>',
        '      <Script code="count:=3"/>',
        '      <SetBlackboard output_key="copy" value="{count}"/>',
        '      <UnsetBlackboard key="tmp"/>',
        '    </ReactiveSequence>',
        '  </BehaviorTree>',
        '  <BehaviorTree ID="sub">',
        '    <Sequence>',
        '      <RunOnce then_skip="false">',
        '        <Sleep msec="10"/>',
        '      </RunOnce>',
        '      <Inverter>',
        '        <AlwaysFailure/>',
        '      </Inverter>',
        '    </Sequence>',
        '  </BehaviorTree>',
        '</root>',
        '',
      ].join('\n'),
    );
  });

  it('every BT.CPP fixture that imports comes back the same through export and import', () => {
    let checked = 0;
    for (const name of readdirSync(BTCPP).filter((f) => f.endsWith('.xml'))) {
      const first = importBtcpp(fixture(name), { file: name, readInclude }).document;
      if (!first) continue;
      const { xml, issues } = exportBtcpp(first);
      expect(issues).toEqual([]);
      expect(importBtcpp(xml as string).document).toEqual(first);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it('nodes and values without a BT.CPP form are issues at their JSON path, and no XML', () => {
    const { xml, issues } = exportBtcpp(
      canopy(`(tree "t" (sequence
        (condition (> $x 1))
        (action A :n (+ 1 2))
        (log "hi")
        (set "global:k" 1)))`),
    );
    expect(xml).toBeUndefined();
    expect(issues.map((i) => [i.path, i.message.split(':')[0]])).toEqual([
      ['/trees/0/root/children/0/type', 'condition has no BehaviorTree.CPP equivalent'],
      ['/trees/0/root/children/1/kwargs/n', 'only a literal or a key read can be written as a BT.CPP port'],
      ['/trees/0/root/children/2/type', 'log has no BehaviorTree.CPP equivalent'],
      ['/trees/0/root/children/3/args/0', 'global'],
    ]);
  });
});
