package dev.starling.simulation.partition;

import java.util.Locale;
import java.util.Objects;

/**
 * Parses partition specs, the one string form of a {@link Partitioner} (used on the command line and in
 * provenance). Valid forms:
 *
 * <ul>
 *   <li>{@code iid} &rarr; {@link IidPartitioner}
 *   <li>{@code dirichlet:ALPHA} &rarr; {@link DirichletPartitioner}, {@code ALPHA > 0}
 *   <li>{@code shards:K} &rarr; {@link ShardPartitioner}, integer {@code K >= 1}
 *   <li>{@code quantity:SIGMA} &rarr; {@link QuantitySkewPartitioner}, {@code SIGMA >= 0}
 *   <li>{@code by:COLUMN} &rarr; {@link KeyPartitioner}, natural partition by a key column
 * </ul>
 *
 * <p>Names are case-insensitive and whitespace around the name and the parameter is ignored; the
 * column name otherwise keeps its case. For every partitioner {@code p}, {@code parse(p.describe())}
 * equals {@code p}. Thread-safe.
 */
public final class Partitioners {
  /** The valid spec forms, as listed in error messages. */
  public static final String VALID_FORMS = "iid, dirichlet:ALPHA (ALPHA > 0), shards:K (integer K >= 1), "
      + "quantity:SIGMA (SIGMA >= 0), by:COLUMN";

  private Partitioners() {}

  /**
   * Returns the partitioner for {@code spec}.
   *
   * @throws IllegalArgumentException naming the bad spec and listing {@link #VALID_FORMS} if the spec
   *     is not one of the valid forms or its parameter is out of range
   */
  public static Partitioner parse(String spec) {
    Objects.requireNonNull(spec, "spec");
    String s = spec.strip();
    int colon = s.indexOf(':');
    String name = (colon < 0 ? s : s.substring(0, colon)).strip().toLowerCase(Locale.ROOT);
    String arg = colon < 0 ? null : s.substring(colon + 1).strip();
    Partitioner p;
    try {
      p = create(name, arg);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Invalid partition spec '" + spec + "': '" + arg
          + "' is not a valid " + (name.equals("shards") ? "integer" : "number") + ". Valid forms: " + VALID_FORMS, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Invalid partition spec '" + spec + "': " + e.getMessage()
          + " Valid forms: " + VALID_FORMS, e);
    }
    if (p == null) {
      throw new IllegalArgumentException("Unknown partition spec '" + spec + "'. Valid forms: " + VALID_FORMS);
    }
    return p;
  }

  /** The partitioner for a lower-case name and its argument (null if none), or null if no form matches. */
  private static Partitioner create(String name, String arg) {
    if (arg == null) {
      return name.equals("iid") ? new IidPartitioner() : null;
    }
    return switch (name) {
      case "dirichlet" -> new DirichletPartitioner(Double.parseDouble(arg));
      case "shards" -> new ShardPartitioner(Integer.parseInt(arg));
      case "quantity" -> new QuantitySkewPartitioner(Double.parseDouble(arg));
      case "by" -> arg.isEmpty() ? null : new KeyPartitioner(arg);
      default -> null;
    };
  }
}
