import type {
  ErrorRecord,
  LlmChunkRecord,
  LlmUsageRecord,
  LogRecord,
  NodeChange,
  NodeVisit,
  ProgressRecord,
  RecordOptions,
  RuntimeErrorCode,
  StuckRecord,
  WriteRecord,
} from '../model/runtime';
import { STATUS_NAMES } from '../status';

/** What one tick (or one out-of-tick halt) produced, before it is stamped with tick metadata. */
export interface RecordParts {
  nodes: NodeChange[];
  writes: WriteRecord[];
  logs: LogRecord[];
  progress: ProgressRecord[];
  errors: ErrorRecord[];
  visits?: NodeVisit[];
  stuck?: StuckRecord[];
  llm?: LlmUsageRecord[];
  chunks?: LlmChunkRecord[];
}

function grow<T extends Int32Array | Uint8Array | Float64Array>(a: T, make: (n: number) => T): T {
  const b = make(Math.max(64, a.length * 2));
  b.set(a);
  return b;
}

// Buffers start empty and shared (never written: `grow` runs first), so building a tree
// allocates none; the first tick that records something makes them.
const NO_I32 = new Int32Array(0);
const NO_U8 = new Uint8Array(0);
const NO_F64 = new Float64Array(0);

/**
 * Collects a tick's events. Status changes and visits go into reused typed arrays (the hot path
 * allocates nothing when nothing changes) and become objects once, when the tick ends.
 */
export class Recorder {
  readonly nodes: boolean;
  readonly writes: boolean;
  readonly logs: boolean;
  readonly progress: boolean;
  readonly errors: boolean;
  readonly visits: boolean;
  readonly timing: boolean;

  private chIndex = NO_I32;
  private chFrom = NO_U8;
  private chTo = NO_U8;
  private chCount = 0;
  private vIndex = NO_I32;
  private vStatus = NO_U8;
  private vUs = NO_F64;
  private vCount = 0;
  private writeList: WriteRecord[] = [];
  private logList: LogRecord[] = [];
  private progressList: ProgressRecord[] = [];
  private errorList: ErrorRecord[] = [];
  /** Made only when the watchdog finds a stuck node: most ticks have none. */
  private stuckList: StuckRecord[] | null = null;
  /** Made only by ticks where an llm-call streams or finishes. */
  private llmList: LlmUsageRecord[] | null = null;
  private chunkList: LlmChunkRecord[] | null = null;

  constructor(opts: RecordOptions = {}) {
    this.nodes = opts.nodes ?? true;
    this.writes = opts.writes ?? true;
    this.logs = opts.logs ?? true;
    this.progress = opts.progress ?? true;
    this.errors = opts.errors ?? true;
    this.visits = opts.visits ?? false;
    this.timing = opts.timing ?? false;
  }

  change(index: number, from: number, to: number): void {
    const n = this.chCount;
    if (n === this.chIndex.length) {
      this.chIndex = grow(this.chIndex, (k) => new Int32Array(k));
      this.chFrom = grow(this.chFrom, (k) => new Uint8Array(k));
      this.chTo = grow(this.chTo, (k) => new Uint8Array(k));
    }
    this.chIndex[n] = index;
    this.chFrom[n] = from;
    this.chTo[n] = to;
    this.chCount = n + 1;
  }

  write(key: string, scope: string, old: unknown, next: unknown): void {
    if (!this.writes) return;
    const rec: WriteRecord = { key, scope };
    if (old !== undefined) rec.old = old;
    if (next !== undefined) rec.new = next;
    this.writeList.push(rec);
  }

  log(nodeId: string, message: string, values: unknown[]): void {
    if (this.logs) this.logList.push({ nodeId, message, values });
  }

  step(nodeId: string, step: string, percent: number): void {
    if (this.progress) this.progressList.push({ nodeId, step, percent });
  }

  error(nodeId: string, code: RuntimeErrorCode, message: string): void {
    if (this.errors) this.errorList.push({ nodeId, code, message });
  }

  stuck(rec: StuckRecord): void {
    (this.stuckList ??= []).push(rec);
  }

  llmUsage(rec: LlmUsageRecord): void {
    (this.llmList ??= []).push(rec);
  }

  /** Streamed text of a node; a second chunk of the same node in one tick joins the first. */
  chunk(nodeId: string, text: string): void {
    const list = (this.chunkList ??= []);
    const same = list.find((c) => c.nodeId === nodeId);
    if (same) same.text += text;
    else list.push({ nodeId, text });
  }

  /** Reserves the visit's slot on entry so visits come out in pre-order. */
  beginVisit(index: number): number {
    const n = this.vCount;
    if (n === this.vIndex.length) {
      this.vIndex = grow(this.vIndex, (k) => new Int32Array(k));
      this.vStatus = grow(this.vStatus, (k) => new Uint8Array(k));
      this.vUs = grow(this.vUs, (k) => new Float64Array(k));
    }
    this.vIndex[n] = index;
    this.vCount = n + 1;
    return n;
  }

  endVisit(slot: number, status: number, us: number): void {
    this.vStatus[slot] = status;
    this.vUs[slot] = us;
  }

  /** Hands out everything collected so far and starts empty. */
  take(ids: readonly string[]): RecordParts {
    const nodes: NodeChange[] = new Array(this.chCount);
    for (let i = 0; i < this.chCount; i++) {
      nodes[i] = {
        id: ids[this.chIndex[i]],
        from: STATUS_NAMES[this.chFrom[i]],
        to: STATUS_NAMES[this.chTo[i]],
      };
    }
    this.chCount = 0;
    const parts: RecordParts = {
      nodes,
      writes: this.writeList,
      logs: this.logList,
      progress: this.progressList,
      errors: this.errorList,
    };
    if (this.visits) parts.visits = this.takeVisits(ids);
    if (this.stuckList !== null) {
      parts.stuck = this.stuckList;
      this.stuckList = null;
    }
    if (this.llmList !== null) {
      parts.llm = this.llmList;
      this.llmList = null;
    }
    if (this.chunkList !== null) {
      parts.chunks = this.chunkList;
      this.chunkList = null;
    }
    this.writeList = [];
    this.logList = [];
    this.progressList = [];
    this.errorList = [];
    return parts;
  }

  private takeVisits(ids: readonly string[]): NodeVisit[] {
    const visits: NodeVisit[] = new Array(this.vCount);
    for (let i = 0; i < this.vCount; i++) {
      const v: NodeVisit = { id: ids[this.vIndex[i]], status: STATUS_NAMES[this.vStatus[i]] };
      if (this.timing) v.us = this.vUs[i];
      visits[i] = v;
    }
    this.vCount = 0;
    return visits;
  }
}
