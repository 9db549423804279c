package dev.starling.dashboard;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Where a live dashboard listens and what it says about the run.
 *
 * @param host the address to bind; a dashboard reachable from other machines (any address that is not
 *     loopback, {@code 0.0.0.0} included) must have a token
 * @param port the TCP port, 0 for any free one
 * @param token the secret every request must carry ({@code Authorization: Bearer TOKEN} or
 *     {@code ?token=TOKEN}), at least {@value #MIN_TOKEN_LENGTH} characters; empty: none (loopback only)
 * @param title what the page calls the run
 * @param roundBudget the run's round budget, shown as progress (0: unknown)
 * @param targetEpsilon the privacy budget the run stops at, drawn against the epsilon spent
 * @param ledger whether a ledger records the run (the page then shows its head)
 */
public record DashboardSettings(String host, int port, Optional<String> token, String title, int roundBudget,
    OptionalDouble targetEpsilon, boolean ledger) {
  /** The shortest token accepted. */
  public static final int MIN_TOKEN_LENGTH = 16;

  public DashboardSettings {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(targetEpsilon, "targetEpsilon");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("dashboard port must be in [0, 65535], got " + port);
    }
    if (roundBudget < 0) {
      throw new IllegalArgumentException("roundBudget must be >= 0, got " + roundBudget);
    }
    if (token.isPresent() && (token.get().length() < MIN_TOKEN_LENGTH || token.get().isBlank())) {
      throw new IllegalArgumentException("dashboard token must be at least " + MIN_TOKEN_LENGTH + " characters, got "
          + token.get().length());
    }
    if (token.isEmpty() && !isLoopback(host)) {
      throw new IllegalArgumentException("a dashboard bound to " + host + " is reachable from other machines: it needs a"
          + " token");
    }
  }

  /** Settings for a dashboard on 127.0.0.1 without a token. */
  public static DashboardSettings loopback(int port, String title, int roundBudget) {
    return new DashboardSettings("127.0.0.1", port, Optional.empty(), title, roundBudget, OptionalDouble.empty(), false);
  }

  /** A copy with this token. */
  public DashboardSettings withToken(String t) {
    return new DashboardSettings(host, port, Optional.of(t), title, roundBudget, targetEpsilon, ledger);
  }

  /** A copy drawing epsilon against {@code target}. */
  public DashboardSettings withTargetEpsilon(double target) {
    return new DashboardSettings(host, port, token, title, roundBudget, OptionalDouble.of(target), ledger);
  }

  /** A copy that shows the ledger's head. */
  public DashboardSettings withLedger() {
    return new DashboardSettings(host, port, token, title, roundBudget, targetEpsilon, true);
  }

  /** Whether {@code host} names a loopback address only (so no other machine can reach it). */
  public static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("dashboard host " + host + " cannot be resolved: " + e.getMessage(), e);
    }
  }
}
