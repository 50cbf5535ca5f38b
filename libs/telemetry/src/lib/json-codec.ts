const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** JSON on the wire; `undefined` is an empty payload (a bare ack), not the string "undefined". */
export function encodeJson(value: unknown): Uint8Array {
  return value === undefined ? EMPTY : encoder.encode(JSON.stringify(value));
}

/** Throws SyntaxError on malformed JSON; an empty payload decodes to `undefined`. */
export function decodeJson<T>(data: Uint8Array): T {
  return (data.length === 0 ? undefined : JSON.parse(decoder.decode(data))) as T;
}
