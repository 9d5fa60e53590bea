export type BinanceErrorCode =
  | "RATE_LIMITED"
  | "IP_BANNED"
  | "TIMEOUT"
  | "NETWORK"
  | "SERVER"
  | "REJECTED"
  | "INVALID_RESPONSE"
  /** Never sent: the exchange would have taken it only after the caller's send-by time. */
  | "NOT_SENT";

/** Binance error codes mapped to what they mean for an operator. */
const REASONS: Record<number, string> = {
  [-1003]: "too many requests (request weight over the limit)",
  [-1006]: "unexpected response from the message bus: execution status unknown",
  [-1007]: "timeout waiting for the backend: execution status unknown",
  [-1013]: "order rejected by an exchange filter (price, lot size or notional)",
  [-1021]: "timestamp outside recvWindow: check the clock",
  [-1100]: "illegal characters in a parameter",
  [-1121]: "invalid symbol",
  [-1130]: "invalid data sent for a parameter",
  [-2010]: "new order rejected (e.g. insufficient balance)",
  [-2011]: "cancel rejected (unknown order)",
  [-2013]: "order does not exist",
  [-2014]: "API key format invalid",
  [-2015]: "invalid API key, IP or permissions",
  [-2019]: "margin is insufficient",
  [-2021]: "order would trigger immediately (stop price already crossed)",
  [-2022]: "reduce-only order rejected (it would open or increase a position)",
  [-4028]: "leverage not valid for this symbol",
  [-4061]: "position side does not match the account's position mode (hedge vs one-way)",
  [-4116]: "client order id already used",
  [-4120]: "order type not supported on this endpoint (conditional orders go to the Algo Order API)",
  [-4164]: "order notional below the minimum (MIN_NOTIONAL)",
};

/** Codes Binance answers when it cannot tell whether the request was carried out. */
const OUTCOME_UNKNOWN_CODES: ReadonlySet<number> = new Set([-1006, -1007]);

/**
 * Whether Binance could not tell if the request was carried out: a 5xx, USD-M's 408 (its backend
 * timed out), or -1006/-1007. An order may still execute, so the call is retryable, and an order
 * is looked up by its client id before any resend.
 */
export function outcomeUnknown(status: number | undefined, code: number | undefined): boolean {
  return (
    (status !== undefined && (status >= 500 || status === 408)) ||
    (code !== undefined && OUTCOME_UNKNOWN_CODES.has(code))
  );
}

export function describeBinanceCode(code: number): string | undefined {
  return REASONS[code];
}

/** Every failure of a Binance call: a `code` to branch on, whether a retry may help, and the exchange's own code. */
export class BinanceError extends Error {
  override readonly name = "BinanceError";
  constructor(
    readonly code: BinanceErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly details: { status?: number; binanceCode?: number; path?: string; retryAfterMs?: number } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A request given up before it went out: the exchange pauses this IP's requests (a 418 ban, a
 * 429's Retry-After) or the weight budget is used up until past its send-by time, or its wait in
 * line outlasted that time. Nothing reached the exchange; its outcome is known.
 */
export class RequestNotSent extends BinanceError {
  constructor(
    /** What holds it back, e.g. "Binance pauses this IP's requests (418 IP ban)". */
    readonly why: string,
    /** Epoch ms it was to be sent by. */
    readonly sendBy: number,
    /** Epoch ms the hold ends, when known. */
    readonly until?: number,
  ) {
    const untilText = until === undefined ? "" : ` until ${new Date(until).toISOString()}`;
    super(
      "NOT_SENT",
      `not sent: ${why}${untilText}, past its send-by time ${new Date(sendBy).toISOString()}`,
      false,
    );
  }
}
