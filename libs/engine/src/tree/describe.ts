import type { NodeJson } from '../model/json';
import type { NodeInfo } from '../model/runtime';
import type { BtNode } from './node';

/** `NodeInfo` for every node, depth-first, from the built nodes and the JSON they came from. */
export function describeNodes(nodes: readonly BtNode[], jsons: readonly NodeJson[]): NodeInfo[] {
  const infos: NodeInfo[] = [];
  const parents = new Int32Array(nodes.length).fill(-1);
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    const json = jsons[i];
    const children = node.children;
    const childIds: string[] = [];
    for (const c of children) {
      childIds.push(c.id);
      parents[c.index] = i;
    }
    // Depth-first order: a parent is described before its children.
    const p = parents[i];
    const info: NodeInfo = {
      id: node.id,
      type: json.type,
      childIds,
      depth: p < 0 ? 0 : infos[p].depth + 1,
    };
    if (json.name !== undefined) info.name = json.name;
    if (p >= 0) info.parentId = nodes[p].id;
    infos.push(info);
  }
  return infos;
}
