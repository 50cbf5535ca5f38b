import { SaxesParser } from 'saxes';
import type { IssueList, Position } from '../issues';
import { FormatIssueCode } from '../issues';

/** An XML element with the position of its `<`, and its attributes in document order. */
export interface XmlElement {
  name: string;
  attributes: Map<string, string>;
  children: XmlElement[];
  at: Position;
}

/**
 * Reads XML into elements with positions (saxes, the parser jsdom uses; it reports where each
 * tag starts). Text, comments and processing instructions are not needed by any tree format and
 * are skipped. A file that is not well-formed gives one positioned error and no elements.
 */
export function readXml(text: string, file: string, issues: IssueList): XmlElement | undefined {
  const parser = new SaxesParser({ position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let failed = false;
  parser.on('opentagstart', (tag) => {
    // saxes's column is just past `<name`: the `<` is name.length + 1 columns before it.
    const element: XmlElement = {
      name: tag.name,
      attributes: new Map(),
      children: [],
      at: { line: parser.line, column: parser.column - tag.name.length - 1 },
    };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root ??= element;
    stack.push(element);
  });
  parser.on('attribute', (attr) => {
    stack[stack.length - 1]?.attributes.set(attr.name, restore(attr.value));
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.on('error', (error) => {
    if (failed) return;
    failed = true;
    issues.error(file, { line: parser.line, column: Math.max(1, parser.column) }, FormatIssueCode.Syntax, error.message.replace(/^\d+:\d+: /, ''));
  });
  try {
    parser.write(lenient(text)).close();
  } catch {
    // saxes also throws after emitting the error; the error is recorded above.
  }
  return failed ? undefined : root;
}

// Stand-ins for `&` and `<` inside attribute values, from Unicode's private use area: one
// character each, so every line and column stays where it was.
const AMP = '\uE000';
const LT = '\uE001';

/**
 * BT.CPP reads XML with tinyxml2, which takes a bare `&&` or `<` in an attribute (scripts are full
 * of them: `code="a < b && c"`); a strict parser does not. Inside quoted attribute values, a `&`
 * that starts no entity and every `<` are swapped for stand-ins that `restore` swaps back.
 */
function lenient(text: string): string {
  let out = '';
  let inTag = false;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '<') {
        out += LT;
        continue;
      } else if (c === '&' && !/^&(#\d+|#x[0-9a-fA-F]+|[A-Za-z_][\w.-]*);/.test(text.slice(i, i + 32))) {
        out += AMP;
        continue;
      }
    } else if (inTag) {
      if (c === '"' || c === "'") quote = c;
      else if (c === '>') inTag = false;
    } else if (c === '<') {
      const skip = text.startsWith('<!--', i) ? '-->' : text.startsWith('<![CDATA[', i) ? ']]>' : text.startsWith('<?', i) ? '?>' : '';
      if (skip) {
        const end = text.indexOf(skip, i);
        const stop = end < 0 ? text.length : end + skip.length;
        out += text.slice(i, stop);
        i = stop - 1;
        continue;
      }
      inTag = true;
    }
    out += c;
  }
  return out;
}

function restore(value: string): string {
  return value.includes(AMP) || value.includes(LT) ? value.replaceAll(AMP, '&').replaceAll(LT, '<') : value;
}
