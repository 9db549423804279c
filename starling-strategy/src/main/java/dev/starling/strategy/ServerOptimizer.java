package dev.starling.strategy;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Base of server optimisers in the FedOpt framework (Reddi et al., "Adaptive Federated Optimization",
 * ICLR 2021, Algorithm 1): the decorated aggregator (FedAvg by default) turns the clients' models into
 * a new model {@code y}; the server treats {@code delta = y - x} as a pseudo-gradient, where {@code x} is
 * the global model the round started from, and takes one optimiser step {@code x -> x'} with it.
 *
 * <p>Per-coordinate optimiser state (momentum, second moments) is kept in this instance across rounds
 * as primitive {@code float} arrays, allocated on the first step and cleared by {@link #initialize}. A
 * round in which the aggregator took no update (nothing accepted, {@code clients_aggregated == 0}, or
 * the aggregator returned the very global instance) leaves the model and the state untouched. The
 * aggregator's metrics and verdicts are passed on unchanged.
 *
 * <p>Not thread-safe: the round loop calls it from one thread, one round at a time, in the order of
 * {@link Strategy}. {@link Aggregation#finish} may be called once per aggregation.
 */
public abstract class ServerOptimizer extends ForwardingStrategy {
  private final int slots;
  private float[][][] state; // [slot][tensor][coordinate]; null until the first step

  /**
   * @param aggregator the strategy whose aggregate is used as the target of each step
   * @param slots number of per-coordinate state arrays the subclass needs (e.g. 2 for m and v)
   */
  protected ServerOptimizer(Strategy aggregator, int slots) {
    super(aggregator);
    this.slots = slots;
  }

  /** The value every coordinate of state slot {@code slot} starts at; default 0. */
  protected float initialState(int slot) {
    return 0f;
  }

  /**
   * One step on one tensor. Reads the round's global values {@code x} and the aggregate {@code y}
   * (both read-only), writes the new global values into {@code out} and updates {@code state[slot]}
   * (this tensor's state arrays) in place. All arrays have the same length.
   */
  protected abstract void step(float[] x, float[] y, float[] out, float[][] state);

  /** The optimiser and its hyper-parameters, e.g. {@code FedAdam(eta=0.1,...)}, without the aggregator. */
  protected abstract String describeSelf();

  /** Forwards to the aggregator and forgets all optimiser state (a new run begins). */
  @Override
  public ParameterSet initialize(ParameterSet initial) {
    state = null;
    return super.initialize(initial);
  }

  @Override
  public final Aggregation beginAggregation(int round, ParameterSet global) {
    Aggregation inner = super.beginAggregation(round, global);
    return new Aggregation() {
      private int accepted;
      private boolean finished;

      @Override
      public void accept(ClientId client, TrainResult result) {
        inner.accept(client, result);
        accepted++;
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        if (finished) {
          throw new IllegalStateException("finish() was already called for round " + round);
        }
        finished = true;
        AggregateResult r = inner.finish(failures);
        boolean noUpdate = accepted == 0 || r.parameters() == global
            || r.metrics().get("clients_aggregated").orElse(1) == 0;
        return noUpdate ? r : new AggregateResult(apply(global, r.parameters()), r.metrics(), r.verdicts());
      }
    };
  }

  private ParameterSet apply(ParameterSet global, ParameterSet aggregate) {
    global.checkSameSpec(aggregate, "aggregate of " + delegate().describe());
    List<Tensor> xs = global.tensors();
    ensureState(xs);
    List<Tensor> out = new ArrayList<>(xs.size());
    float[][] perTensor = new float[slots][];
    for (int t = 0; t < xs.size(); t++) {
      Tensor x = xs.get(t);
      for (int s = 0; s < slots; s++) {
        perTensor[s] = state[s][t];
      }
      float[] next = new float[x.size()];
      step(x.data(), aggregate.tensors().get(t).data(), next, perTensor);
      out.add(Tensor.of(x.name(), next, x.shape()));
    }
    return ParameterSet.of(out);
  }

  private void ensureState(List<Tensor> xs) {
    if (state == null) {
      state = new float[slots][xs.size()][];
      for (int s = 0; s < slots; s++) {
        for (int t = 0; t < xs.size(); t++) {
          state[s][t] = new float[xs.get(t).size()];
          Arrays.fill(state[s][t], initialState(s));
        }
      }
      return;
    }
    boolean same = slots == 0 || state[0].length == xs.size();
    for (int t = 0; same && slots > 0 && t < xs.size(); t++) {
      same = state[0][t].length == xs.get(t).size();
    }
    if (!same) {
      throw new IllegalStateException("the model's shape changed between rounds; call initialize() to start a new run");
    }
  }

  private static final String STATE_PREFIX = "server-opt.";

  /**
   * The optimiser's per-coordinate state as tensors {@code server-opt.SLOT.TENSOR} (copies; none before
   * the first step), followed by the aggregator's own state.
   */
  @Override
  public ParameterSet saveState() {
    List<Tensor> out = new ArrayList<>();
    if (state != null) {
      for (int s = 0; s < slots; s++) {
        for (int t = 0; t < state[s].length; t++) {
          out.add(Tensor.of(STATE_PREFIX + s + "." + t, state[s][t].clone(), state[s][t].length));
        }
      }
    }
    out.addAll(super.saveState().tensors());
    return ParameterSet.of(out);
  }

  @Override
  public void restoreState(ParameterSet saved) {
    List<Tensor> mine = new ArrayList<>();
    List<Tensor> rest = new ArrayList<>();
    for (Tensor t : saved) {
      (t.name().startsWith(STATE_PREFIX) ? mine : rest).add(t);
    }
    if (mine.isEmpty()) {
      state = null;
    } else {
      int perSlot = mine.size() / Math.max(1, slots);
      if (slots == 0 || perSlot * slots != mine.size()) {
        throw new IllegalArgumentException(describeSelf() + ": checkpoint has " + mine.size()
            + " optimiser state tensors, not a multiple of " + slots + " slots");
      }
      state = new float[slots][perSlot][];
      for (Tensor t : mine) {
        String[] parts = t.name().substring(STATE_PREFIX.length()).split("\\.");
        state[Integer.parseInt(parts[0])][Integer.parseInt(parts[1])] = t.data().clone();
      }
    }
    super.restoreState(ParameterSet.of(rest));
  }

  /** A copy of state slot {@code slot} of tensor {@code tensor}, or null before the first step (for tests). */
  float[] stateOf(int slot, int tensor) {
    return state == null ? null : state[slot][tensor].clone();
  }

  @Override
  public final String describe() {
    return describeSelf() + " <- " + super.describe();
  }
}
