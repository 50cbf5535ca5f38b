/**
 * @canopy/formats: trees written for other behavior-tree libraries, to and from Canopy documents.
 * BehaviorTree.CPP XML (import and export) and mistreevous MDSL (import). Every issue is
 * positioned; what cannot be carried over stops the conversion instead of being dropped.
 */
export { importBtcpp } from './btcpp/import-btcpp';
export type { ImportOptions, ImportResult } from './btcpp/import-btcpp';
export { exportBtcpp } from './btcpp/export-btcpp';
export type { ExportResult } from './btcpp/export-btcpp';
export { importMdsl } from './mdsl/import-mdsl';
export { FormatIssueCode, formatIssue } from './issues';
export type { FormatIssue } from './issues';
