package dev.starling.privacy.secagg;

import dev.starling.core.error.Checks;

/**
 * What {@code --secagg} (simulate) and {@code secagg} (server config) say:
 * {@code DROPOUT[,MAXABS[,NEIGHBOURS]]}, the drop-out tolerance per round, the range of update
 * coordinates (default {@value #DEFAULT_MAX_ABS}) and, for SecAgg+, the ring neighbours per client
 * (default 0: the complete graph of SecAgg).
 *
 * @param dropout fraction of a round's clients that may drop out, in [0, 0.5)
 * @param maxAbs update coordinates lie in [-maxAbs, maxAbs]
 * @param neighbours SecAgg+ neighbours per client (even, >= 2), or 0 for the complete graph
 */
public record SecAggSpec(double dropout, double maxAbs, int neighbours) {
  public static final double DEFAULT_MAX_ABS = 8.0;
  /** The valid form, for help texts and errors. */
  public static final String FORM = "DROPOUT[,MAXABS[,NEIGHBOURS]]";

  public SecAggSpec {
    Checks.checkArgument(dropout >= 0 && dropout < 0.5, "secagg dropout tolerance DROPOUT", "in [0, 0.5)", dropout);
    Checks.checkArgument(maxAbs > 0 && Double.isFinite(maxAbs), "secagg MAXABS", "> 0", maxAbs);
    SecAggParams.checkNeighbours(neighbours);
  }

  /**
   * Parses {@code DROPOUT[,MAXABS[,NEIGHBOURS]]}; {@code what} names the flag or key in errors
   * ({@link IllegalArgumentException} with the valid form and the value).
   */
  public static SecAggSpec parse(String value, String what) {
    String[] p = value.split(",", -1);
    try {
      if (p.length > 3) {
        throw new NumberFormatException();
      }
      double drop = Double.parseDouble(p[0].trim());
      double maxAbs = p.length > 1 ? Double.parseDouble(p[1].trim()) : DEFAULT_MAX_ABS;
      int nb = p.length > 2 ? Integer.parseInt(p[2].trim()) : 0;
      return new SecAggSpec(drop, maxAbs, nb);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " must be " + FORM + ", e.g. 0.3, 0.3,4 or 0.3,8,6 (SecAgg+ with 6"
          + " neighbours). Provided value: " + value, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
    }
  }
}
