import { randomBytes } from "node:crypto";

/** A short unique name for isolating one test's resources: `<prefix>_<hex>`. */
export function uniqueName(prefix = "t"): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}
