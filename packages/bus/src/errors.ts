export type BusErrorCode =
  | "CONNECT_FAILED"
  | "PUBLISH_FAILED"
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
