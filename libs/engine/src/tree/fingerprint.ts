import { NODE_SPEC_BY_TYPE } from '../model/catalog';
import type { NodeJson } from '../model/json';
import type { BtNode } from './node';

/**
 * Two FNV-1a lanes with different primes: a 64-bit-ish structural hash, enough to tell a
 * checkpoint from another tree's without pulling in a crypto dependency.
 */
export class Fingerprint {
  private a = 0x811c9dc5;
  private b = 0x01000193;

  add(text: string): void {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    this.a = a ^ 0xff;
    this.b = b ^ 0xff;
  }

  digest(): string {
    return (
      (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0')
    );
  }
}

/**
 * The fingerprint of a built tree: its name, then per node (depth-first) the id, the node type
 * (aliases resolved), the arguments and the number of JSON children. Labels and comments are
 * left out. Computed on demand from the JSON the nodes were built from.
 */
export function fingerprintOf(
  name: string,
  nodes: readonly BtNode[],
  jsons: readonly NodeJson[],
): string {
  const fp = new Fingerprint();
  fp.add(name);
  for (let i = 0; i < nodes.length; i++) {
    const json = jsons[i];
    fp.add(nodes[i].id);
    fp.add(NODE_SPEC_BY_TYPE.get(json.type)?.type ?? json.type);
    if (json.args !== undefined) fp.add(JSON.stringify(json.args));
    if (json.kwargs !== undefined) fp.add(JSON.stringify(json.kwargs));
    fp.add(String((json.children ?? []).length));
  }
  return fp.digest();
}
