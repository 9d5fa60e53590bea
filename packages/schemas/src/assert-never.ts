/** Ends an exhaustive switch: adding a variant without handling it fails to compile. */
export function assertNever(value: never, what = "value"): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}
