export type DecodedFrame =
  | { kind: "event"; stream: string; data: unknown }
  | { kind: "server_shutdown" }
  | { kind: "malformed"; reason: string };

interface Envelope {
  stream?: unknown;
  data?: unknown;
  e?: unknown;
}

/** Reads one combined-stream frame `{"stream": ..., "data": ...}`; `serverShutdown` raw or wrapped. */
export function decodeFrame(text: string): DecodedFrame {
  let envelope: Envelope;
  try {
    envelope = JSON.parse(text) as Envelope;
  } catch (error) {
    return { kind: "malformed", reason: `not JSON: ${(error as Error).message}` };
  }
  if (envelope === null || typeof envelope !== "object") {
    return { kind: "malformed", reason: "not a combined-stream frame {stream, data}" };
  }
  const data = envelope.data as Envelope | null | undefined;
  if (envelope.e === "serverShutdown" || (typeof data === "object" && data?.e === "serverShutdown")) {
    return { kind: "server_shutdown" };
  }
  if (typeof envelope.stream !== "string" || data === undefined || data === null) {
    return { kind: "malformed", reason: "not a combined-stream frame {stream, data}" };
  }
  return { kind: "event", stream: envelope.stream, data };
}
