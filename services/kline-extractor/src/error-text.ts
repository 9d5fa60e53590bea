/**
 * One line for an error: its code when it has one, then its message (an AggregateError's parts),
 * then its cause's line when that says more ("STORAGE_FAILED: writing klines failed: 53100: …").
 */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = "code" in error ? error.code : undefined;
  // A connect tried on several addresses (localhost: ::1 and 127.0.0.1) fails with no message.
  const message =
    error.message ||
    (error instanceof AggregateError
      ? error.errors.map((e: unknown) => errorText(e)).join("; ")
      : error.name);
  const text = code === undefined ? message : `${String(code)}: ${message}`;
  const cause = error.cause === undefined ? "" : errorText(error.cause);
  return cause === "" || text.includes(cause) ? text : `${text}: ${cause}`;
}
