import { readdirSync } from 'node:fs';
import { validateDocument } from '@canopy/dsl';
import { FormatIssueCode, formatIssue, importBtcpp } from '../src';
import { BTCPP, canopy, fixture, readInclude } from './fixtures';

const load = (name: string) => importBtcpp(fixture(name), { file: name, readInclude });
const messages = (name: string) => load(name).issues.map(formatIssue);

describe('BehaviorTree.CPP import: the library\'s own trees', () => {
  it('the first tutorial: a sequence of custom actions with their names', () => {
    const { document, issues } = load('t01_build_your_first_tree.xml');
    expect(issues).toEqual([]);
    expect(document).toEqual(
      canopy(`(tree "MainTree"
        (sequence :name "root_sequence"
          (action CheckBattery :name "battery_ok")
          (action OpenGripper :name "open_gripper")
          (action ApproachObject :name "approach_object")
          (action CloseGripper :name "close_gripper")))`),
    );
  });

  it('ports: literals stay strings, {key} reads the blackboard', () => {
    expect(load('t02_basic_ports.xml').document).toEqual(
      canopy(`(tree "MainTree"
        (sequence :name "root"
          (action SaySomething :message "hello")
          (action SaySomething2 :message "this works too")
          (action ThinkWhatToSay :text $the_answer)
          (action SaySomething2 :message $the_answer)))`),
    );
  });

  it('reactive sequence, fallback, inverter, retry and a subtree in the same file', () => {
    expect(load('t04_reactive_sequence_2.xml').document?.trees[0].root.type).toBe('reactive-sequence');
    expect(load('t05_crossdoor.xml').document).toEqual(
      canopy(`(tree "MainTree"
        (sequence
          (fallback
            (invert (action IsDoorClosed))
            (subtree "DoorClosed"))
          (action PassThroughDoor)))
      (tree "DoorClosed"
        (fallback
          (action OpenDoor)
          (retry :times 5 (action PickLock))
          (action SmashDoor)))`),
    );
  });

  it('subtree port remapping and literal scripts; output remapping is a note', () => {
    const { document, issues } = load('t06_subtree_port_remapping.xml');
    expect(document).toEqual(
      canopy(`(tree "MainTree"
        (sequence
          (set "move_goal" "1;2;3")
          (subtree "MoveRobot" :target $move_goal :result $move_result)
          (action SaySomething :message $move_result)))
      (tree "MoveRobot"
        (fallback
          (sequence
            (action MoveBase :goal $target)
            (set "result" "goal reached"))
          (force-failure (set "result" "error"))))`),
    );
    expect(issues.map((i) => [i.line, i.column, i.code])).toEqual([
      [6, 13, FormatIssueCode.Note],
      [6, 13, FormatIssueCode.Note],
    ]);
  });

  it('includes (also nested in folders), trees used by their ID as an element, the main tree first', () => {
    expect(load('subtree_test.xml').document).toEqual(
      canopy(`(tree "BehaviorTree"
        (sequence
          (subtree "CheckStatus")
          (action OpenGripper)
          (action CloseGripper)
          (subtree "SayStuff")))
      (tree "CheckStatus"
        (memory-sequence (action CheckBattery) (action CheckTemperature)))
      (tree "SayStuff"
        (memory-sequence
          (action SaySomething :message "Hello World")
          (action SayHello)))`),
    );
    const parent = load('parent_include_child.xml').document;
    expect(parent?.trees.map((t) => t.name)).toEqual(['ParentIncludeChild', 'ChildNoInclude']);
  });

  it('a Groot2-saved file: TreeNodesModel ignored with a note; Sleep and AlwaysSuccess', () => {
    const { document, issues } = load('log_test.xml');
    expect(issues.map(formatIssue)).toEqual([
      'log_test.xml:16:5: note: TreeNodesModel ignored: Canopy needs no node models (custom nodes become actions)',
    ]);
    expect(document).toEqual(
      canopy(`(tree "Main"
        (sequence
          (subtree "Subtree" :name "FirstSubtree")
          (subtree "Subtree" :name "SecondSubtree")))
      (tree "Subtree"
        (sequence :name "SleepSequence"
          (wait :ms 300)
          (success)))`),
    );
  });

  it('what cannot be carried over is an error at its line and column, and nothing is produced', () => {
    expect(load('t09_scripting.xml').document).toBeUndefined();
    expect(messages('t09_scripting.xml')).toEqual([
      `t09_scripting.xml:5:13: Script "A:=THE_ANSWER; B:=3.14; color:=RED": only assignments of literals (key := 'text', 3, true) can be carried over`,
      't09_scripting.xml:6:13: Precondition has no Canopy equivalent: use (guard EXPR C)',
    ]);
    expect(messages('t11_groot_howto.xml')).toContain(
      't11_groot_howto.xml:18:5: _onSuccess on <Fallback>: pre- and post-condition scripts have no Canopy form (use a guard or a condition in the tree)',
    );
    // A bare `&&` inside a script attribute is read as tinyxml2 reads it (no XML error).
    expect(messages('t14_subtree_model_1.xml')).toContain(
      't14_subtree_model_1.xml:14:7: ScriptCondition has no Canopy equivalent: use (condition EXPR)',
    );
  });

  it('every fixture either gives a valid Canopy document or errors with positions', () => {
    const files = readdirSync(BTCPP).filter((f) => f.endsWith('.xml'));
    expect(files.length).toBeGreaterThanOrEqual(15);
    for (const name of files) {
      const { document, issues } = load(name);
      if (document) expect(validateDocument(document, { file: name }).errors).toEqual([]);
      else expect(issues.some((i) => i.severity === 'error' && i.line > 0 && i.column > 0)).toBe(true);
    }
  });
});

describe('BehaviorTree.CPP import: every mapped node', () => {
  const xml = (body: string, extra = '') => `<root BTCPP_format="4">\n<BehaviorTree ID="T">\n${body}\n</BehaviorTree>${extra}\n</root>`;
  const one = (body: string) => importBtcpp(xml(body), { file: 't.xml' });

  it.each([
    ['<Sequence><AlwaysSuccess/></Sequence>', '(sequence (success))'],
    ['<SequenceWithMemory><AlwaysSuccess/></SequenceWithMemory>', '(memory-sequence (success))'],
    ['<SequenceStar><AlwaysSuccess/></SequenceStar>', '(memory-sequence (success))'],
    ['<ReactiveSequence><AlwaysSuccess/></ReactiveSequence>', '(reactive-sequence (success))'],
    ['<Fallback><AlwaysFailure/></Fallback>', '(fallback (failure))'],
    ['<ReactiveFallback><AlwaysFailure/></ReactiveFallback>', '(reactive-selector (failure))'],
    ['<Parallel success_count="2" failure_count="2"><A/><B/><C/></Parallel>', '(parallel :success 2 :failure 2 (action A) (action B) (action C))'],
    ['<Parallel success_count="-1"><A/><B/></Parallel>', '(parallel (action A) (action B))'],
    ['<Parallel success_threshold="1" failure_threshold="-1"><A/><B/></Parallel>', '(parallel :success 1 :failure 2 (action A) (action B))'],
    ['<Inverter><A/></Inverter>', '(invert (action A))'],
    ['<ForceSuccess><A/></ForceSuccess>', '(force-success (action A))'],
    ['<ForceFailure><A/></ForceFailure>', '(force-failure (action A))'],
    ['<Repeat num_cycles="3"><A/></Repeat>', '(repeat :times 3 (action A))'],
    ['<Repeat num_cycles="{n}"><A/></Repeat>', '(repeat :times $n (action A))'],
    ['<RetryUntilSuccessful num_attempts="-1"><A/></RetryUntilSuccessful>', '(retry :times -1 (action A))'],
    ['<RetryUntilSuccesful num_attempts="2"><A/></RetryUntilSuccesful>', '(retry :times 2 (action A))'],
    ['<Timeout msec="500"><A/></Timeout>', '(timeout :ms 500 (action A))'],
    ['<Delay delay_msec="100"><A/></Delay>', '(delay :ms 100 (action A))'],
    ['<RunOnce then_skip="false"><A/></RunOnce>', '(run-once (action A))'],
    ['<KeepRunningUntilFailure><A/></KeepRunningUntilFailure>', '(repeat :times -1 (action A))'],
    ['<Sleep msec="20"/>', '(wait :ms 20)'],
    ['<SetBlackboard output_key="k" value="{other}"/>', '(set "k" $other)'],
    ['<SetBlackboard output_key="@k" value="v"/>', '(set "exec:k" "v")'],
    ['<UnsetBlackboard key="k"/>', '(unset "k")'],
    [`<Script code="a:='x'; b := 3; @c=true"/>`, '(sequence (set "a" "x") (set "b" 3) (set "exec:c" true))'],
    ['<Action ID="Move" goal="{@goal}" speed="{=}"/>', '(action Move :goal $exec:goal :speed $speed)'],
    ['<Condition ID="IsReady"/>', '(action IsReady)'],
    ['<Move name="go"/>', '(action Move :name "go")'],
  ])('%s', (body, expected) => {
    const { document, issues } = one(body);
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(document).toEqual(canopy(`(tree "T" ${expected})`));
  });

  it('RunOnce that skips afterwards is carried over with a note on the difference', () => {
    const { document, issues } = one('<RunOnce><A/></RunOnce>');
    expect(document).toEqual(canopy('(tree "T" (run-once (action A)))'));
    expect(issues.map((i) => [i.line, i.column, i.severity])).toEqual([[3, 1, 'note']]);
  });

  it.each([
    ['<IfThenElse><A/><B/><C/></IfThenElse>', 'IfThenElse has no Canopy equivalent'],
    ['<MyControl><A/></MyControl>', 'MyControl: a custom control or decorator node has no Canopy equivalent'],
    ['<Repeat num_cycles="lots"><A/></Repeat>', 'Repeat: "num_cycles" must be a number or a {key}, not "lots"'],
    ['<Timeout><A/></Timeout>', 'Timeout needs the port "msec"'],
    ['<Inverter><A/><B/></Inverter>', 'Inverter needs exactly one child'],
    ['<Sequence><A _skipIf="x"/></Sequence>', '_skipIf on <A>'],
    ['<SubTree ID="Nowhere"/>', 'SubTree "Nowhere" is not a BehaviorTree'],
    ['<Sequence speed="3"><A/></Sequence>', 'Sequence has no port "speed"'],
  ])('%s is refused', (body, message) => {
    const { document, issues } = one(body);
    expect(document).toBeUndefined();
    const errors = issues.filter((i) => i.severity === 'error');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0].message).toContain(message);
    expect(errors[0].line).toBeGreaterThanOrEqual(3);
  });

  it('XML that is not well-formed: one positioned syntax error', () => {
    const { document, issues } = importBtcpp('<root>\n  <BehaviorTree ID="T">\n    <A>\n</root>', { file: 'bad.xml' });
    expect(document).toBeUndefined();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ file: 'bad.xml', line: 4, code: FormatIssueCode.Syntax });
  });

  it('includes: unreadable without a file system, a missing file, and a cycle read once', () => {
    const withInclude = xml('<A/>').replace('<root BTCPP_format="4">', '<root BTCPP_format="4">\n<include path="x.xml"/>');
    expect(importBtcpp(withInclude, { file: 'm.xml' }).issues.map(formatIssue)).toEqual([
      'm.xml:2:1: include "x.xml": includes can only be read from files (canopy import)',
    ]);
    expect(importBtcpp(withInclude, { file: 'm.xml', readInclude: () => undefined }).issues.map(formatIssue)).toEqual([
      'm.xml:2:1: cannot read included file "x.xml"',
    ]);
    const a = '<root><include path="b.xml"/><BehaviorTree ID="A"><B/></BehaviorTree></root>';
    const b = '<root><include path="a.xml"/><BehaviorTree ID="B"><AlwaysSuccess/></BehaviorTree></root>';
    const files: Record<string, string> = { 'a.xml': a, 'b.xml': b };
    const result = importBtcpp(a, { file: 'a.xml', readInclude: (p) => ({ text: files[p], file: p }) });
    expect(result.document).toEqual(canopy('(tree "A" (subtree "B")) (tree "B" (success))'));
  });

  it('main_tree_to_execute picks the main tree', () => {
    const text = '<root main_tree_to_execute="B"><BehaviorTree ID="A"><X/></BehaviorTree><BehaviorTree ID="B"><Y/></BehaviorTree></root>';
    expect(importBtcpp(text).document?.trees.map((t) => t.name)).toEqual(['B', 'A']);
  });
});
