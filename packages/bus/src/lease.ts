import { type KV, Kvm } from "@nats-io/kv";
import type { Logger } from "@tradewire/logger";
import type { Bus } from "./bus.js";
import { anyCause, isNoResponders } from "./errors.js";
import type { LoopContext } from "./messages.js";

export interface LeaseOptions {
  /** KV bucket (namespaced like streams); its max age is the lease TTL. */
  bucket: string;
  /** What is being led, e.g. the feed id; letters, digits, `-`, `_`, `.`, `=`, `/`. */
  key: string;
  /** Who holds it: stable and unique per replica (pod name). */
  holder: string;
  ttlMs: number;
  logger: Logger;
  onChange?: (leader: boolean) => void;
}

const WRONG_LAST_SEQUENCE = 10071;

/** The bucket's stream does not answer at all: deleted, or JetStream cannot serve it now. */
const isBucketGone = isNoResponders;

/** A rival's write came first (compare-and-set on the revision, or create on an existing key). */
const isLostRace = (error: unknown) =>
  anyCause(
    error,
    (e) =>
      e.code === WRONG_LAST_SEQUENCE ||
      (typeof e.message === "string" && /wrong last sequence|key exists/i.test(e.message)),
  );

/**
 * A leader lease in NATS KV: the holder renews its entry every TTL/3 with a compare-and-set on
 * the revision; the entry expires with the bucket's max age when the holder dies, and a standby's
 * `create` then succeeds. A holder that cannot renew steps down at half the TTL, by a timer, before
 * its entry can expire, even while a renewal still waits for an answer: two leaders never overlap.
 */
export class LeaderLease {
  private revision = 0;
  private renewedAt = 0;
  private leading = false;
  /** Steps down at half the TTL after the last renewal, whatever a request in flight is doing. */
  private stepDown: NodeJS.Timeout | undefined;

  private constructor(
    private kv: KV,
    private readonly declare: () => Promise<KV>,
    private readonly opts: LeaseOptions,
  ) {}

  static async open(bus: Bus, opts: LeaseOptions): Promise<LeaderLease> {
    const declare = () =>
      new Kvm(bus.nc).create(bus.ns.resource(opts.bucket), { ttl: opts.ttlMs, history: 1 });
    return new LeaderLease(await declare(), declare, opts);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get renewIntervalMs(): number {
    return Math.max(100, Math.floor(this.opts.ttlMs / 3));
  }

  /** One round: renew when leading, otherwise try to acquire. Returns whether this replica leads. */
  async tick(): Promise<boolean> {
    const { key, holder, logger } = this.opts;
    // The entry's TTL runs from when the server wrote it, which is after this: a safe start.
    const sent = Date.now();
    try {
      this.revision = this.leading
        ? await this.kv.update(key, holder, this.revision)
        : await this.kv.create(key, holder);
      this.renewedAt = sent;
      if (!this.leading) this.set(true, { revision: this.revision });
      this.armStepDown();
    } catch (error) {
      if (!this.leading) {
        if (!isLostRace(error)) {
          logger.warn("lease acquire failed", { key, holder, err: error });
          await this.declareAgain();
        }
      } else if (isLostRace(error)) {
        this.set(false, { reason: "lease taken over or expired" });
      } else if (isBucketGone(error)) {
        // The lease went with its bucket: a rival may hold a new one already.
        this.set(false, { reason: "lease bucket not answering (deleted?)", err: error });
      } else if (Date.now() - this.renewedAt > this.opts.ttlMs / 2) {
        this.set(false, { reason: "cannot renew", err: error });
      } else {
        logger.warn("lease renewal failed, retrying", { key, holder, err: error });
      }
    }
    return this.leading;
  }

  /**
   * A renewal that hangs (a NATS route to the bucket's stream half-dead: requests time out after
   * seconds instead of failing) must not keep this replica leading past its entry: at half the
   * TTL after the last renewal it stands by, while a rival can take the entry only once it expires.
   */
  private armStepDown(): void {
    clearTimeout(this.stepDown);
    const deadline = this.renewedAt + this.opts.ttlMs / 2;
    // Each renewal clears the timer before it sets the next, so one that fires is the current one
    // (its time is not checked against Date.now(): a timer may fire a millisecond early by it).
    this.stepDown = setTimeout(() => {
      if (this.leading)
        this.set(false, { reason: "not renewed within half the TTL (a renewal still waiting)" });
    }, deadline - Date.now());
    this.stepDown.unref();
  }

  /**
   * Declares the bucket again after an acquire failed for a reason other than a rival: a bucket
   * deleted on the server (by hand, or lost with its state) left every replica standing by for good,
   * and the feed unpublished. Idempotent while the bucket exists; a failure is the next round's.
   */
  private async declareAgain(): Promise<void> {
    try {
      this.kv = await this.declare();
    } catch (error) {
      this.opts.logger.warn("lease bucket cannot be declared", { bucket: this.opts.bucket, err: error });
    }
  }

  /** Runs election rounds until `ctx.signal` aborts, then releases the lease. */
  async run(ctx: LoopContext, sleep: (ms: number, signal: AbortSignal) => Promise<void>): Promise<void> {
    while (!ctx.signal.aborted) {
      await this.tick();
      ctx.progress();
      await sleep(this.renewIntervalMs, ctx.signal);
    }
    await this.release();
  }

  /** Gives the lease up at once (clean shutdown), so a standby takes over without waiting for the TTL. */
  async release(): Promise<void> {
    if (!this.leading) return;
    this.set(false, { reason: "released" }, "info");
    try {
      await this.kv.delete(this.opts.key, { previousSeq: this.revision });
    } catch (error) {
      this.opts.logger.warn("lease release failed; it expires with its TTL", {
        key: this.opts.key,
        err: error,
      });
    }
  }

  private set(leader: boolean, fields: Record<string, unknown>, level: "info" | "warn" = "warn"): void {
    this.leading = leader;
    if (!leader) clearTimeout(this.stepDown);
    const { key, holder, logger } = this.opts;
    if (leader) logger.info("lease acquired: this replica is the leader", { key, holder, ...fields });
    else logger[level]("lease lost: this replica stands by", { key, holder, ...fields });
    this.opts.onChange?.(leader);
  }
}
