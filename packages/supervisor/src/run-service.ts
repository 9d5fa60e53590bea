import type { Logger } from "@tradewire/logger";

/**
 * A service's `main`: runs `start`, and when it fails (a database that refuses, a schema that is
 * missing, an account that cannot trade) says so as one structured error line with its stack and
 * exits 1, instead of a bare stack trace on stderr that a log collector does not parse.
 */
export async function runService(
  logger: Logger,
  service: string,
  start: () => Promise<unknown>,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<void> {
  try {
    await start();
  } catch (error) {
    logger.error(`${service} could not start`, { err: error });
    exit(1);
  }
}
