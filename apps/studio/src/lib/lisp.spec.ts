import { StringStream } from '@codemirror/language';
import { lispParser } from './lisp';

/** Every token of one line with its style, as the editor highlights it. */
function tokens(line: string): [string, string | null][] {
  const state = lispParser.startState?.(2) ?? { head: false };
  const stream = new StringStream(line, 2, 2);
  const out: [string, string | null][] = [];
  while (!stream.eol()) {
    const style = lispParser.token(stream, state);
    const text = stream.current();
    if (text.trim()) out.push([text, style]);
    stream.start = stream.pos;
  }
  return out;
}

describe('tree-language highlighting', () => {
  it('marks node types, keywords, strings, blackboard reads, numbers and comments', () => {
    expect(tokens('(sequence :id "patrol" (wait :ms 200) $battery) ; go')).toEqual([
      ['(', 'bracket'],
      ['sequence', 'keyword'],
      [':id', 'attributeName'],
      ['"patrol"', 'string'],
      ['(', 'bracket'],
      ['wait', 'keyword'],
      [':ms', 'attributeName'],
      ['200', 'number'],
      [')', 'bracket'],
      ['$battery', 'variableName'],
      [')', 'bracket'],
      ['; go', 'comment'],
    ]);
  });

  it('keeps escaped quotes inside strings and knows the literals', () => {
    expect(tokens('(log "say \\"hi\\"" true)')).toEqual([
      ['(', 'bracket'],
      ['log', 'keyword'],
      ['"say \\"hi\\""', 'string'],
      ['true', 'atom'],
      [')', 'bracket'],
    ]);
  });
});
