/** One line for an error: its code when it has one, then its message (an AggregateError's parts). */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = "code" in error ? error.code : undefined;
  // A connect tried on several addresses (localhost: ::1 and 127.0.0.1) fails with no message.
  const message =
    error.message ||
    (error instanceof AggregateError
      ? error.errors.map((e: unknown) => errorText(e)).join("; ")
      : error.name);
  return code === undefined ? message : `${String(code)}: ${message}`;
}
