import type { Logger } from "@tradewire/logger";

/**
 * A service's `main`: runs `start`, and when it fails (a database that refuses, a schema that is
 * missing, an account that cannot trade) says so as one structured error line with its stack and
 * exits 1, instead of a bare stack trace on stderr that a log collector does not parse. Mains load
 * their app with `import()` inside `start`, so a module that fails to load (missing from the image,
 * broken) is reported the same way (F02).
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
