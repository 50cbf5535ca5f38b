/**
 * @canopy/viz: pictures of behavior trees. `toDot` draws a tree (with statuses, the running path
 * and blackboard values) as Graphviz DOT; `renderSvg` and `renderPng` turn it into images
 * in-process (Graphviz compiled to WASM, resvg), with no system binaries.
 */
export {
  toDot,
  runningPath,
  STATUS_FILL,
  STATUS_PEN,
  MAX_VALUE_CHARS,
  type DotOptions,
} from './dot';
export { renderSvg, renderPng, isSvg, VizError, PNG_SIGNATURE, type PngOptions } from './render';
