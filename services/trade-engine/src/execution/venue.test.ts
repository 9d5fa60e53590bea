import { describe, expect, it } from "vitest";
import { commissions } from "./venue.js";

const assets = { base: "BTC", quote: "USDT" };

describe("commissions", () => {
  it("prices a commission paid in the base asset at its trade, and counts it as not received", () => {
    const paid = commissions(
      [
        { price: "30000", commission: "0.00001", commissionAsset: "BTC" },
        { price: "30100", commission: "0.00002", commissionAsset: "BTC" },
      ],
      assets,
    );
    expect(paid).toMatchObject({ feeAsset: "USDT", otherFees: [] });
    expect(paid.fee).toBeCloseTo(0.00001 * 30_000 + 0.00002 * 30_100, 12);
    expect(paid.baseFee).toBeCloseTo(0.00003, 12);
  });

  it("takes a quote-asset commission as it is, and names a third asset (BNB) instead of adding it up as quote", () => {
    expect(
      commissions(
        [
          { price: "30000", commission: "0.3", commissionAsset: "USDT" },
          { price: "30000", commission: "0.0004", commissionAsset: "BNB" },
          { price: "30000", commission: "0.0001", commissionAsset: "BNB" },
        ],
        assets,
      ),
    ).toEqual({ fee: 0.3, feeAsset: "USDT", baseFee: 0, otherFees: [{ asset: "BNB", amount: 0.0005 }] });
    expect(commissions([], assets)).toEqual({ fee: 0, feeAsset: "USDT", baseFee: 0, otherFees: [] });
  });
});
