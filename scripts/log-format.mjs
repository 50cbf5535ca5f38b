// How `npm start` shows what its children print. In a terminal (or LOG_FORMAT=pretty): one line per
// log line, prefixed with the child's name, level-coloured, without the fields a person does not
// read (trace ids, pid, version); quiet while starting (services' warnings and errors only; the
// brokers' lines only if one exits), so the first
// screen ends with the ready line. Otherwise (piped, or LOG_FORMAT=json): the children's JSON lines
// as they are, for a log collector.
import { createInterface } from 'node:readline';

const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
const HIDDEN = new Set(['level', 'time', 'msg', 'service', 'version', 'trace_id', 'span_id', 'pid', 'hostname']);
const COLOURS = { trace: 90, debug: 90, info: 36, warn: 33, error: 31, fatal: 35 };
/** Lines of a child kept to show when it exits unexpectedly. */
const KEPT_LINES = 30;

export function logFormat(env = process.env, stdout = process.stdout) {
  const asked = env.LOG_FORMAT;
  if (asked === 'json' || asked === 'pretty') return asked;
  return stdout.isTTY ? 'pretty' : 'json';
}

/** Routes every child's output to the terminal in `format`; `started()` ends the quiet start. */
export function createLogSink(format, out = process.stdout) {
  const colour = format === 'pretty' && out.isTTY && !process.env.NO_COLOR;
  const paint = (code, text) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  let quiet = true;
  const width = 11;
  const recent = new Map();

  function show(name, line) {
    const kept = recent.get(name) ?? [];
    kept.push(line);
    if (kept.length > KEPT_LINES) kept.shift();
    recent.set(name, kept);
    if (format === 'json') return void out.write(`${line}\n`);
    const text = pretty(name, line);
    if (text !== undefined) out.write(`${text}\n`);
  }

  function pretty(name, line) {
    const prefix = paint(90, `${name.padEnd(width)}│`);
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      entry = undefined;
    }
    if (typeof entry !== 'object' || entry === null || typeof entry.level !== 'string') {
      // Brokers' own lines: none while starting (their last lines show if one exits).
      if (quiet) return undefined;
      return `${prefix} ${line}`;
    }
    const level = entry.level;
    if (quiet && (LEVELS[level] ?? 30) < LEVELS.warn) return undefined;
    const time = typeof entry.time === 'string' ? entry.time.slice(11, 19) : '';
    const fields = Object.entries(entry)
      .filter(([key]) => !HIDDEN.has(key))
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    const head = paint(COLOURS[level] ?? 0, level.toUpperCase().padEnd(5));
    return `${prefix} ${paint(90, time)} ${head} ${entry.msg ?? ''}${fields ? ` ${paint(90, fields)}` : ''}`;
  }

  return {
    format,
    /** Reads a child's stdout and stderr line by line. */
    attach(name, child) {
      for (const stream of [child.stdout, child.stderr]) {
        if (stream) createInterface({ input: stream }).on('line', (line) => show(name, line));
      }
    },
    /** The stack is up: from now on every line shows. */
    started() {
      quiet = false;
    },
    /** What a child printed last (shown when it exits unexpectedly). */
    lastLines(name) {
      return recent.get(name) ?? [];
    },
    /** The script's own lines. */
    own(message) {
      out.write(`${format === 'pretty' ? paint(1, 'canopy'.padEnd(width) + '│') : '[canopy]'} ${message}\n`);
    },
  };
}
