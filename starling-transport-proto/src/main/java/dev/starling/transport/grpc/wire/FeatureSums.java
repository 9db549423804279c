package dev.starling.transport.grpc.wire;

import dev.starling.transport.grpc.proto.FeatureStatistics;

/**
 * One client's standardisation statistics as they cross the wire ({@code FeatureStatistics}): row count,
 * per-feature sums and sums of squares of its raw training rows, and for regression the target's sum and
 * sum of squares (NaN otherwise). The transport only carries and checks them; summing them into a
 * standardiser is the caller's (the CLI uses {@code data}'s {@code Standardizer.Statistics}).
 *
 * @param count rows (> 0)
 * @param sum per-feature sums
 * @param sumSquares per-feature sums of squares (>= 0)
 * @param targetSum the regression target's sum, NaN for none
 * @param targetSumSquares the regression target's sum of squares, NaN for none
 */
public record FeatureSums(long count, double[] sum, double[] sumSquares, double targetSum, double targetSumSquares) {
  /** Most features a report may carry (a Hello-sized message, not a model). */
  public static final int MAX_FEATURES = 1 << 20;

  public FeatureSums {
    if (count <= 0) {
      throw new IllegalArgumentException("count must be > 0. Provided value: " + count);
    }
    if (sum.length != sumSquares.length || sum.length == 0 || sum.length > MAX_FEATURES) {
      throw new IllegalArgumentException("sum and sum_squares must have the same length in [1, " + MAX_FEATURES
          + "]. Provided lengths: " + sum.length + ", " + sumSquares.length);
    }
    for (int j = 0; j < sum.length; j++) {
      if (!Double.isFinite(sum[j]) || !Double.isFinite(sumSquares[j]) || sumSquares[j] < 0) {
        throw new IllegalArgumentException("feature " + j + ": sum and sum_squares must be finite, sum_squares >= 0."
            + " Provided values: " + sum[j] + ", " + sumSquares[j]);
      }
    }
    if (Double.isNaN(targetSum) != Double.isNaN(targetSumSquares)
        || !Double.isNaN(targetSum) && (!Double.isFinite(targetSum) || !Double.isFinite(targetSumSquares))) {
      throw new IllegalArgumentException("target_sum and target_sum_squares must both be finite or both absent");
    }
    sum = sum.clone();
    sumSquares = sumSquares.clone();
  }

  @Override
  public double[] sum() {
    return sum.clone();
  }

  @Override
  public double[] sumSquares() {
    return sumSquares.clone();
  }

  /** The wire form. */
  public FeatureStatistics toProto() {
    FeatureStatistics.Builder b = FeatureStatistics.newBuilder().setCount(count);
    for (int j = 0; j < sum.length; j++) {
      b.addSum(sum[j]).addSumSquares(sumSquares[j]);
    }
    if (!Double.isNaN(targetSum)) {
      b.setHasTarget(true).setTargetSum(targetSum).setTargetSumSquares(targetSumSquares);
    }
    return b.build();
  }

  /** Reads and checks the wire form; {@link IllegalArgumentException} names what is wrong. */
  public static FeatureSums fromProto(FeatureStatistics p) {
    double[] s = p.getSumList().stream().mapToDouble(Double::doubleValue).toArray();
    double[] q = p.getSumSquaresList().stream().mapToDouble(Double::doubleValue).toArray();
    return new FeatureSums(p.getCount(), s, q, p.getHasTarget() ? p.getTargetSum() : Double.NaN,
        p.getHasTarget() ? p.getTargetSumSquares() : Double.NaN);
  }
}
