import { ensureHelm } from "./helm.js";

/** Unpacks helm once, before the test files run in parallel. */
export default function setup(): void {
  ensureHelm();
}
