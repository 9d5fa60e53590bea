import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The `shared/data` folder that sits beside the repository (`<repo>/../shared/data`), or
 * `TRADEWIRE_SHARED_DIR/data`. Throws a clear error when it is missing.
 */
export function sharedDataDir(): string {
  const base =
    process.env.TRADEWIRE_SHARED_DIR ?? fileURLToPath(new URL("../../../../shared", import.meta.url));
  const dir = `${base.replace(/\/$/, "")}/data`;
  if (!existsSync(dir)) {
    throw new Error(
      `shared data not found at ${dir}: clone the shared folder beside the repo or set TRADEWIRE_SHARED_DIR`,
    );
  }
  return dir;
}
