import { headers as createHeaders, type Msg, type MsgHdrs, type NatsConnection, NoRespondersError, RequestError, TimeoutError } from '@nats-io/nats-core';

/**
 * Replies larger than one NATS message (the server's max_payload, 1 MB by default), for the few
 * requests whose answer grows with user data (a debugger view holds whole blackboards). The
 * requester says it takes chunks with ACCEPT_CHUNKS; the responder then sends the reply's bytes in
 * order as one or more messages, each naming the count in CHUNKS, and an empty message last. Every
 * other request keeps the single-message reply.
 */
export const ACCEPT_CHUNKS = 'Canopy-Accept-Chunks';
export const CHUNKS = 'Canopy-Chunks';

/** Room left in each chunk for its headers (trace context, the count). */
const HEADER_ROOM_BYTES = 16 * 1024;
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * Answers a request with `bytes` as its requester asked: one message, or (ACCEPT_CHUNKS) chunks
 * and the end mark. For replies sent without TracedNats (test stand-ins speaking the wire format).
 */
export function respondBytes(msg: Msg, bytes: Uint8Array, headers: MsgHdrs = createHeaders(), maxPayload = DEFAULT_MAX_PAYLOAD): void {
  if (msg.headers?.get(ACCEPT_CHUNKS) === '1') respondChunked(msg, bytes, headers, maxPayload);
  else msg.respond(bytes, { headers });
}

/** Sends `bytes` to the requester in chunks, then the empty message that ends the reply. */
export function respondChunked(msg: Msg, bytes: Uint8Array, headers: MsgHdrs, maxPayload = DEFAULT_MAX_PAYLOAD): void {
  const size = maxPayload - HEADER_ROOM_BYTES;
  const count = Math.max(1, Math.ceil(bytes.length / size));
  headers.set(CHUNKS, String(count));
  for (let i = 0; i < count; i++) msg.respond(bytes.subarray(i * size, (i + 1) * size), { headers });
  msg.respond(new Uint8Array(0));
}

/**
 * Requests with ACCEPT_CHUNKS and resolves with the whole reply's bytes. Throws TimeoutError when
 * the reply did not complete within `timeoutMs`, NoRespondersError when nothing listens.
 */
export async function requestChunked(
  connection: NatsConnection,
  subject: string,
  data: Uint8Array,
  headers: MsgHdrs,
  timeoutMs: number,
): Promise<Uint8Array> {
  headers.set(ACCEPT_CHUNKS, '1');
  // Its own inbox (noMux): the reply is several messages, and the muxed inbox takes only one.
  const replies = await connection.requestMany(subject, data, { strategy: 'sentinel', maxWait: timeoutMs, headers, noMux: true });
  const parts: Uint8Array[] = [];
  let expected = -1;
  let ended = false;
  for await (const msg of replies) {
    if (msg.data.length === 0) {
      ended = true;
      break;
    }
    expected = Number(msg.headers?.get(CHUNKS) ?? '1');
    parts.push(msg.data);
  }
  // The iterator also ends quietly when maxWait passes: only the closing message says it is whole.
  if (!ended || parts.length !== expected) throw new TimeoutError();
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** nats.js reports "no responders" as a RequestError on a muxed request and this on its own inbox. */
export function isNoResponders(error: unknown): boolean {
  return error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders());
}
