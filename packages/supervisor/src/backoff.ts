export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/** Capped exponential backoff without jitter: initialMs, doubling at every attempt (from 1), up to maxMs. */
export function backoffCeiling(attempt: number, { initialMs, maxMs }: BackoffOptions): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
}

/** Capped exponential backoff with jitter (attempt starts at 1): between half and all of the ceiling. */
export function backoffDelay(attempt: number, options: BackoffOptions, random = Math.random): number {
  const ceiling = backoffCeiling(attempt, options);
  // Half fixed, half jittered: never 0, never a thundering herd.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Rejects with a TimeoutError if `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
  readonly code = "TIMEOUT" as const;
  readonly retryable = true;
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} did not finish within ${ms} ms`);
  }
}
