/**
 * What the runner needs from NATS; `TracedNats` (libs/telemetry) is the implementation: JSON codec,
 * trace headers on every message, a span per message, handler errors answered as ErrorBody.
 * Domain classes depend on this narrow interface only.
 */
export interface BusSubscription {
  unsubscribe(): void;
}

/** A request handler's return value is the reply; a thrown coded error becomes `{error:{code,...}}`. */
export type BusHandler = (payload: unknown, msg: { subject: string }) => unknown;

export interface Bus {
  publish(subject: string, payload: unknown): void;
  /** Rejects on an ErrorBody reply (the error has `code`), a timeout or no responders. */
  request<R>(subject: string, payload: unknown, opts: { timeoutMs: number }): Promise<R>;
  subscribe(subject: string, handler: BusHandler, opts?: { queue?: string }): BusSubscription;
  jsPublish(subject: string, payload: unknown, opts: { msgID: string }): Promise<unknown>;
}

/** The contract code of a failed request, when the responder answered one. */
export function remoteErrorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; failure?: unknown } | null;
  return e && e.failure === 'remote' && typeof e.code === 'string' ? e.code : undefined;
}
