/** Stable FNV-1a hash, so every replica computes the same assignment. */
function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * The symbols this replica owns: per-symbol state cannot be shared through a queue group, so
 * replica `index` of `count` keeps the symbols whose hash % count == index.
 */
export function shardSymbols(symbols: readonly string[], index: number, count: number): string[] {
  if (index >= count) throw new Error(`SHARD_INDEX ${index} must be below SHARD_COUNT ${count}`);
  return symbols.filter((s) => hash(s) % count === index);
}
