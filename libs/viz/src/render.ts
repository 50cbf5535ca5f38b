import { renderAsync } from '@resvg/resvg-js';
import { instance, type Viz } from '@viz-js/viz';

/** Graphviz rejected the DOT text; `errors` are its messages. */
export class VizError extends Error {
  constructor(readonly errors: string[]) {
    super(`graphviz: ${errors.join('; ') || 'render failed'}`);
    this.name = 'VizError';
  }
}

let viz: Promise<Viz> | undefined;

/** One Graphviz (WASM) instance per process, compiled on first use. */
function graphviz(): Promise<Viz> {
  if (!viz) {
    viz = instance();
    // A failed compile is not cached: the next call tries again.
    viz.catch(() => (viz = undefined));
  }
  return viz;
}

/**
 * SVG of a DOT graph. Graphviz runs synchronously inside the WASM instance (milliseconds for
 * trees of a few hundred nodes); only the first call waits for the module to compile.
 */
export async function renderSvg(dot: string): Promise<string> {
  const result = (await graphviz()).render(dot, { format: 'svg' });
  if (result.status !== 'success') {
    throw new VizError(result.errors.map((e) => e.message.trim()));
  }
  return result.output;
}

export interface PngOptions {
  /** Scale factor over the SVG's size in points (default 1.5, sharp on most screens). */
  zoom?: number;
  /** Background colour (default white; PNGs are opaque so they read well in any viewer). */
  background?: string;
}

/** True when the text is an SVG document rather than DOT. */
export function isSvg(text: string): boolean {
  return /^\s*(<\?xml|<!DOCTYPE svg|<svg)/i.test(text);
}

/**
 * PNG of a DOT graph or of an SVG document, rasterised by resvg on a worker thread (the event loop
 * is not blocked). Text uses the system's fonts (sans-serif fallback).
 */
export async function renderPng(dotOrSvg: string, opts: PngOptions = {}): Promise<Buffer> {
  const svg = isSvg(dotOrSvg) ? dotOrSvg : await renderSvg(dotOrSvg);
  const image = await renderAsync(svg, {
    fitTo: { mode: 'zoom', value: opts.zoom ?? 1.5 },
    background: opts.background ?? 'white',
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    logLevel: 'off',
  });
  return image.asPng();
}

/** The first eight bytes of every PNG file. */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
