package dev.starling.privacy.secagg;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;

/**
 * Fixed-point encoding of float vectors into 32-bit integers whose sums are computed mod 2^32: value x
 * becomes {@code round(x * 2^fractionalBits)}. Inputs must lie in {@code [-maxAbs, maxAbs]}, and the
 * configuration is refused unless the sum of {@code maxClients} such values fits a signed 32-bit integer,
 * so the modular sum decodes to the true sum exactly (up to rounding of each input by at most
 * {@code 2^-(fractionalBits+1)}).
 *
 * @param fractionalBits bits after the binary point
 * @param maxAbs the largest magnitude an input coordinate may have
 * @param maxClients the most inputs that will be summed
 */
public record FixedPoint(int fractionalBits, double maxAbs, int maxClients) {
  public FixedPoint {
    Checks.checkArgument(fractionalBits >= 0 && fractionalBits <= 30, "fractionalBits", "in [0, 30]", fractionalBits);
    Checks.checkPositive(maxAbs, "maxAbs");
    Checks.checkPositive(maxClients, "maxClients");
    double worst = maxClients * Math.ceil(maxAbs * Math.scalb(1.0, fractionalBits));
    Checks.checkArgument(worst <= Integer.MAX_VALUE, "maxClients * maxAbs * 2^fractionalBits",
        "<= 2^31 - 1 so the sum cannot overflow; use fewer fractional bits or a smaller range", worst);
  }

  /** Encodes {@code x}, throwing INVALID_ARGUMENT naming the first coordinate out of range. */
  public int[] encode(float[] x) {
    double scale = Math.scalb(1.0, fractionalBits);
    int[] out = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      float v = x[i];
      if (!(Math.abs(v) <= maxAbs)) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT, "coordinate " + i + " = " + v + " is outside the secure"
            + " aggregation range [-" + maxAbs + ", " + maxAbs + "]; clip updates on the client first");
      }
      out[i] = (int) Math.round(v * scale);
    }
    return out;
  }

  /** Decodes a modular sum of at most {@code maxClients} encodings. */
  public double[] decode(int[] sum) {
    double inv = Math.scalb(1.0, -fractionalBits);
    double[] out = new double[sum.length];
    for (int i = 0; i < sum.length; i++) {
      out[i] = sum[i] * inv;
    }
    return out;
  }
}
