/**
 * Runs `stop` when `signal` aborts, or at once if it already has: a listener added after the abort
 * never fires, and a loop waiting on it would hang until the supervisor's deadline (F38). Returns
 * the function that removes the listener.
 */
export function onAbort(signal: AbortSignal, stop: () => void): () => void {
  if (signal.aborted) {
    stop();
    return () => {};
  }
  signal.addEventListener("abort", stop, { once: true });
  return () => signal.removeEventListener("abort", stop);
}
