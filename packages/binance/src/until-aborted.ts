/**
 * `work`, or the stop's reason as soon as `stop` aborts: the caller leaves at once, and the work
 * itself ends on its own (shared by other callers, or bounded by its own timeout).
 */
export function untilAborted<T>(work: Promise<T>, stop: AbortSignal): Promise<T> {
  if (stop.aborted) return Promise.reject(stop.reason);
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(stop.reason);
    stop.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => stop.removeEventListener("abort", onAbort));
}
