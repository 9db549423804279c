package dev.starling.core.error;

/**
 * The single place for argument checks, so every message has the same form:
 * {@code "<name> must be <condition>. Provided value: <value>"}.
 */
public final class Checks {
  private Checks() {}

  public static void checkArgument(boolean condition, String name, String requirement, Object value) {
    if (!condition) {
      throw new IllegalArgumentException(name + " must be " + requirement + ". Provided value: " + value);
    }
  }

  public static int checkPositive(int value, String name) {
    checkArgument(value > 0, name, "> 0", value);
    return value;
  }

  public static long checkPositive(long value, String name) {
    checkArgument(value > 0, name, "> 0", value);
    return value;
  }

  public static double checkPositive(double value, String name) {
    checkArgument(value > 0 && Double.isFinite(value), name, "> 0 and finite", value);
    return value;
  }

  public static int checkNonNegative(int value, String name) {
    checkArgument(value >= 0, name, ">= 0", value);
    return value;
  }

  public static double checkNonNegative(double value, String name) {
    checkArgument(value >= 0 && Double.isFinite(value), name, ">= 0 and finite", value);
    return value;
  }

  /** Checks that {@code value} is a probability in [0, 1]. */
  public static double checkProbability(double value, String name) {
    checkArgument(value >= 0 && value <= 1, name, "in [0, 1]", value);
    return value;
  }

  public static void checkState(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException(message);
    }
  }
}
