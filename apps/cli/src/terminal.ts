import type { Status } from '@canopy/engine';

const CODES = {
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
} as const;
export type Tone = keyof typeof CODES;

/** `text` in `tone` when colour is on; a trailing newline stays outside the colour. */
export function paint(color: boolean, tone: Tone, text: string): string {
  if (!color) return text;
  const nl = text.endsWith('\n') ? '\n' : '';
  return `${CODES[tone]}${nl ? text.slice(0, -1) : text}\x1b[0m${nl}`;
}

/** The colours `run` draws statuses in, for every command. */
export const STATUS_TONE: Record<Status, Tone> = {
  IDLE: 'dim',
  RUNNING: 'yellow',
  SUCCESS: 'green',
  FAILURE: 'red',
};
