package dev.starling.simulation.adversary;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.ClientVerdict;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.Strategy;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Scores malicious-client detection in a simulation, where the truth is known: after each round adds
 * {@code malicious_selected} (attackers whose update reached aggregation), {@code malicious_flagged}
 * (those a rule rejected, down-weighted or clipped) and {@code honest_flagged} (false alarms).
 */
public final class DetectionAudit extends ForwardingStrategy {
  private final Set<ClientId> malicious;

  public DetectionAudit(Strategy delegate, Set<ClientId> malicious) {
    super(delegate);
    this.malicious = Set.copyOf(malicious);
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    Aggregation inner = super.beginAggregation(round, global);
    return new Aggregation() {
      private int selected;

      @Override
      public void accept(ClientId client, TrainResult result) {
        inner.accept(client, result);
        if (malicious.contains(client)) {
          selected++;
        }
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        AggregateResult r = inner.finish(failures);
        Set<ClientId> flagged = new HashSet<>();
        for (ClientVerdict v : r.verdicts()) {
          flagged.add(v.client());
        }
        int hit = 0;
        for (ClientId c : flagged) {
          if (malicious.contains(c)) {
            hit++;
          }
        }
        Metrics m = r.metrics().with(Metrics.builder().put("malicious_selected", selected)
            .put("malicious_flagged", hit).put("honest_flagged", flagged.size() - hit).build());
        return new AggregateResult(r.parameters(), m, r.verdicts());
      }
    };
  }
}
