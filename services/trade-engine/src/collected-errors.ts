/**
 * Throws what a loop over independent items collected, once every item was tried: the error itself
 * when one failed (its stack intact), all of them when more did.
 */
export function throwCollected(errors: readonly unknown[], what: string): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} ${what} failed`);
}
