export type BusErrorCode =
  | "CONNECT_FAILED"
  | "PUBLISH_FAILED"
  /** No stream answered a JetStream publish (status 503): none stores the subject, or it was deleted. */
  | "NO_STREAM"
  | "INVALID_PAYLOAD"
  | "STREAM_CONFLICT"
  | "CLOSED";

export class BusError extends Error {
  override readonly name = "BusError";
  constructor(
    readonly code: BusErrorCode,
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

type ErrorLike = { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };

/** Whether `error`, or any error in its `cause` chain, matches. */
export function anyCause(error: unknown, matches: (e: ErrorLike) => boolean): boolean {
  const e = error as ErrorLike | undefined;
  return e != null && (matches(e) || anyCause(e.cause, matches));
}

/** Nothing answered a request: a JetStream publish or KV write whose stream is not there. */
export const isNoResponders = (error: unknown): boolean => anyCause(error, (e) => e.name === "NoResponders");
