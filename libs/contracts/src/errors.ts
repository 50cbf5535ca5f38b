/** Stable error codes: logged, tested and mapped to HTTP statuses. Never reuse a code. */
export const ErrorCodes = {
  VALIDATION_FAILED: 400,
  BAD_JSON: 400,
  COMPILE_FAILED: 400,
  NOT_FOUND: 404,
  TREE_NOT_FOUND: 404,
  EXECUTION_NOT_FOUND: 404,
  KEY_NOT_FOUND: 404,
  /** History holds no such tick of the execution (never stored, dropped by retention, deleted). */
  TICK_NOT_FOUND: 404,
  EXECUTION_STOPPED: 409,
  /** A step (or another debugger command that needs a pause) on an execution that is not paused. */
  EXECUTION_NOT_PAUSED: 409,
  /** A breakpoint or watch names a node id the execution's tree does not have. */
  UNKNOWN_NODE: 400,
  /** A breakpoint's or watch's condition (or a watch's key) does not compile: `line`/`column` inside it. */
  BAD_CONDITION: 400,
  /** No such watch on the execution. */
  WATCH_NOT_FOUND: 404,
  EXECUTION_NOT_STARTABLE: 409,
  /** A hot reload's document does not define the execution's tree (by name). */
  TREE_MISMATCH: 400,
  /** `POST /executions` with an `id` that is taken. */
  EXECUTION_EXISTS: 409,
  VERSION_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  /** A body of a content type the route does not read (it takes `application/json`). */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** A path parameter longer than the router takes. */
  URI_TOO_LONG: 414,
  /** The request line and headers are larger than the server reads (Node's 16 KiB). */
  HEADERS_TOO_LARGE: 431,
  /** The client did not send its whole request in time. */
  REQUEST_TIMEOUT: 408,
  /**
   * A JSON value (a request body, a blackboard value, a NATS payload) nested deeper than
   * JSON_MAX_DEPTH, or a tree deeper than TREE_MAX_DEPTH once its subtrees are expanded.
   */
  NESTING_TOO_DEEP: 400,
  /** JSON (HTTP body, NATS payload) with a `__proto__` key, or `prototype` inside `constructor`. */
  FORBIDDEN_KEY: 400,
  /** A tree with more than TREE_MAX_NODES nodes once its subtrees are expanded. */
  TREE_TOO_LARGE: 413,
  /** One expression with more than EXPRESSION_MAX_TERMS terms (calls, literals, variables). */
  EXPRESSION_TOO_LARGE: 413,
  /** `POST /executions/:id/tick` with a `count` above TICKS_PER_REQUEST_MAX. */
  TOO_MANY_TICKS: 400,
  /** The team has TEAM_MAX_EXECUTIONS executions: delete one first. */
  TEAM_EXECUTION_LIMIT: 429,
  /** The execution has STREAM_MAX_CLIENTS live streams (WebSocket and SSE) on this gateway. */
  TOO_MANY_STREAM_CLIENTS: 429,
  /** The execution's queue of external events is full (EVENT_QUEUE_MAX): retry once its ticks took some. */
  EVENT_QUEUE_FULL: 429,
  /** No credentials, or credentials the gateway does not accept (unknown, revoked, expired key or token). */
  UNAUTHENTICATED: 401,
  /** Valid credentials whose role or teams do not allow the request. */
  FORBIDDEN: 403,
  /** The key (or token subject) made too many requests in the window: `Retry-After` says when to retry. */
  RATE_LIMITED: 429,
  /** The path exists, but not for this method (`Allow` lists the ones it takes). */
  METHOD_NOT_ALLOWED: 405,
  OWNER_UNAVAILABLE: 503,
  DEPENDENCY_UNAVAILABLE: 503,
  FENCED: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface FieldError {
  field: string;
  message: string;
}

/** The body of every error, over HTTP and in NATS replies. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    fields?: FieldError[];
    line?: number;
    column?: number;
    details?: unknown;
  };
}

export function httpStatusOf(code: ErrorCode): number {
  return ErrorCodes[code];
}

export function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    'error' in value &&
    typeof (value as { error: unknown }).error === 'object'
  );
}
