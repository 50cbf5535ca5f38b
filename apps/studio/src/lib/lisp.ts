// A small highlighter for the tree language (docs/language.md): comments, strings, numbers,
// `:keyword` arguments, `$blackboard` reads, and the head of each list (node type or function).
import { StreamLanguage, type StreamParser } from '@codemirror/language';

interface LispState {
  /** The next symbol is the head of a list. */
  head: boolean;
}

export const lispParser: StreamParser<LispState> = {
  name: 'canopy-lisp',
  startState: () => ({ head: false }),
  token(stream, state) {
    if (stream.eatSpace()) return null;
    const ch = stream.next();
    if (ch === undefined) return null;
    if (ch === ';') {
      stream.skipToEnd();
      return 'comment';
    }
    if (ch === '"') {
      let escaped = false;
      for (let c = stream.next(); c !== undefined; c = stream.next()) {
        if (c === '"' && !escaped) break;
        escaped = !escaped && c === '\\';
      }
      state.head = false;
      return 'string';
    }
    if (ch === '(' || ch === '[' || ch === '{') {
      state.head = ch === '(';
      return 'bracket';
    }
    if (ch === ')' || ch === ']' || ch === '}') {
      state.head = false;
      return 'bracket';
    }
    stream.eatWhile(/[^\s()[\]{}";]/);
    const word = stream.current();
    const wasHead = state.head;
    state.head = false;
    if (/^-?\d+(\.\d+)?$/.test(word)) return 'number';
    if (word.startsWith(':')) return 'attributeName';
    if (word.startsWith('$')) return 'variableName';
    if (word === 'true' || word === 'false' || word === 'null') return 'atom';
    return wasHead ? 'keyword' : 'variableName.special';
  },
  languageData: { commentTokens: { line: ';' } },
};

export const canopyLisp = StreamLanguage.define(lispParser);
