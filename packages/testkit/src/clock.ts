/** A clock a test moves by hand, for code that takes `now: () => number`. */
export function manualClock(start = 0): { now(): number; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}
