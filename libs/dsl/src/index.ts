/**
 * @canopy/dsl: the Canopy tree language. Source text and canonical JSON (format "canopy/1") in
 * both directions, with positioned errors, a canonical printer and the JSON Schema of documents.
 */
export { compile, format, parse, sourcePosition, validateDocument } from './compile';
export type { CompileOptions, CompileResult, FormatResult, ParseResult } from './compile';
export { print } from './printer';
export { buildFromSource } from './build';
export type { BuildFromSourceResult } from './build';
export { treeDocumentSchema } from './schema';
export { DslErrorCode, formatError } from './errors';
export type { DslError } from './errors';
export type * from './ast';
