/** Fixed-capacity FIFO of numbers backed by one preallocated Float64Array; no allocation per push. */
export class RingBuffer {
  readonly capacity: number;
  #data: Float64Array;
  #head = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be an integer >= 1, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#data = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  get isFull(): boolean {
    return this.#size === this.capacity;
  }

  /** Appends `value`; when full, the oldest value is overwritten and returned, else NaN. */
  push(value: number): number {
    const cap = this.capacity;
    if (this.#size < cap) {
      this.#data[(this.#head + this.#size) % cap] = value;
      this.#size++;
      return Number.NaN;
    }
    const evicted = this.#data[this.#head] ?? Number.NaN;
    this.#data[this.#head] = value;
    this.#head = (this.#head + 1) % cap;
    return evicted;
  }

  /** Removes and returns the oldest value (NaN when empty). */
  shift(): number {
    if (this.#size === 0) return Number.NaN;
    const value = this.#data[this.#head] ?? Number.NaN;
    this.#head = (this.#head + 1) % this.capacity;
    this.#size--;
    return value;
  }

  /** Removes and returns the newest value (NaN when empty). */
  pop(): number {
    if (this.#size === 0) return Number.NaN;
    this.#size--;
    return this.#data[(this.#head + this.#size) % this.capacity] ?? Number.NaN;
  }

  /** Value at `index`, 0 = oldest, `size - 1` = newest. */
  get(index: number): number {
    if (index < 0 || index >= this.#size) return Number.NaN;
    return this.#data[(this.#head + index) % this.capacity] ?? Number.NaN;
  }

  /** Oldest value (NaN when empty). */
  first(): number {
    return this.get(0);
  }

  /** Newest value (NaN when empty). */
  last(): number {
    return this.get(this.#size - 1);
  }

  clear(): void {
    this.#head = 0;
    this.#size = 0;
  }
}
