package dev.starling.server;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** The metrics history of a run, one {@link RoundRecord} per completed round. Not thread-safe. */
public final class History {
  private final List<RoundRecord> rounds = new ArrayList<>();
  private String stopReason = "";

  /** Appends a round (the round loop, or another driver such as an asynchronous simulation, records here). */
  public void add(RoundRecord r) {
    rounds.add(r);
  }

  /** Sets why the run stopped. */
  public void stopReason(String reason) {
    stopReason = reason;
  }

  public List<RoundRecord> rounds() {
    return Collections.unmodifiableList(rounds);
  }

  public Optional<RoundRecord> last() {
    return rounds.isEmpty() ? Optional.empty() : Optional.of(rounds.get(rounds.size() - 1));
  }

  /** Why the run stopped, e.g. "round budget of 20 reached". */
  public String stopReason() {
    return stopReason;
  }

  /** The first round whose metric {@code name} reached {@code threshold} (>=), if any. */
  public OptionalInt firstRoundReaching(String name, double threshold) {
    for (RoundRecord r : rounds) {
      if (r.metric(name) >= threshold) {
        return OptionalInt.of(r.round());
      }
    }
    return OptionalInt.empty();
  }
}
