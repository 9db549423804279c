package dev.starling.strategy;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.message.Attachments;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.aggregate.LossTally;
import dev.starling.strategy.aggregate.WeightedSum;
import java.util.ArrayList;
import java.util.List;

/**
 * SCAFFOLD (Karimireddy, Kale, Mohri, Reddi, Stich, Suresh, "SCAFFOLD: Stochastic Controlled Averaging
 * for Federated Learning", ICML 2020), with the paper's option II control update.
 *
 * <p>The server keeps a control variate {@code c}, each client its own {@code c_i} (in its
 * {@link ClientState}, starting at zero). A client trains with every gradient corrected by
 * {@code c - c_i}, then sets {@code c_i+ = c_i - c + (x - y_i) / (K lr)} with K its local steps, and
 * returns its model {@code y_i} and {@code dc_i = c_i+ - c_i}. The server applies
 * {@code x += eta_g * mean_S(y_i - x)} and {@code c += (1/N) sum_S dc_i}, N being all clients.
 * Both halves are here: the server half is this strategy, the client half is {@link #clientInterceptors()},
 * which a simulation installs and a networked client must install too. Option II assumes plain local
 * SGD; with momentum or weight decay the control update is an approximation.
 *
 * <p>Server memory: the model, {@code c}, and two running sums. Thread-confined.
 */
public final class Scaffold implements Strategy {
  /** The server control variate {@code c}, sent with every training job. */
  public static final AttachmentKey SERVER_CONTROL = new AttachmentKey("scaffold.server-control");
  /** The client's control-variate change {@code dc_i}, returned with its model. */
  public static final AttachmentKey CONTROL_DELTA = new AttachmentKey("scaffold.control-delta");
  /** Where a client keeps {@code c_i}. */
  public static final AttachmentKey CLIENT_CONTROL = new AttachmentKey("scaffold.client-control");

  private final double serverLr;
  private ParameterSet control;
  private int totalClients;

  /** SCAFFOLD with global step size 1 (the paper's default). */
  public Scaffold() {
    this(1.0);
  }

  public Scaffold(double serverLr) {
    this.serverLr = Checks.checkPositive(serverLr, "serverLr");
  }

  /** The current server control variate (null before {@link #initialize}). */
  public ParameterSet control() {
    return control;
  }

  @Override
  public void prepare(RoundPlan plan) {
    totalClients = plan.totalClients();
  }

  @Override
  public ParameterSet initialize(ParameterSet initial) {
    control = initial.zerosLike();
    return initial;
  }

  private static final String STATE_PREFIX = "scaffold.control/";

  /** The server control variate {@code c}, tensors renamed {@code scaffold.control/NAME}. */
  @Override
  public ParameterSet saveState() {
    return control == null ? ParameterSet.of()
        : control.map(t -> Tensor.of(STATE_PREFIX + t.name(), t.data().clone(), t.shape()));
  }

  @Override
  public void restoreState(ParameterSet saved) {
    Checks.checkState(control != null, "Scaffold.initialize must be called before restoreState");
    ParameterSet c = saved.map(t -> {
      if (!t.name().startsWith(STATE_PREFIX)) {
        throw new IllegalArgumentException("Scaffold: unexpected state tensor " + t.name());
      }
      return Tensor.of(t.name().substring(STATE_PREFIX.length()), t.data().clone(), t.shape());
    });
    control.checkSameSpec(c, "Scaffold control variate in the checkpoint");
    control = c;
  }

  @Override
  public List<TrainInterceptor> clientInterceptors() {
    return List.of(Scaffold::clientFit);
  }

  @Override
  public TrainConfig configureTrain(int round, ClientId client, TrainConfig base) {
    Checks.checkState(control != null, "Scaffold.initialize must be called before configureTrain");
    return base.withAttachments(base.attachments().with(SERVER_CONTROL, control));
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    Checks.checkState(control != null && totalClients > 0, "Scaffold needs prepare() and initialize() before round 1");
    return new Aggregation() {
      private final WeightedSum models = new WeightedSum(global);
      private final WeightedSum deltas = new WeightedSum(global);
      private final LossTally trainLoss = new LossTally();

      @Override
      public void accept(ClientId client, TrainResult result) {
        ParameterSet dc = result.attachments().get(CONTROL_DELTA).orElseThrow(() -> new FlException(
            ErrorCode.INVALID_ARGUMENT, "client " + client + " returned no SCAFFOLD control delta; its client must "
                + "run Scaffold.clientInterceptors()"));
        global.checkSameSpec(dc, "SCAFFOLD control delta of client " + client);
        if (dc.firstNonFinite() >= 0) {
          throw new FlException(ErrorCode.INVALID_ARGUMENT, "SCAFFOLD control delta of client " + client + " is not finite");
        }
        models.add(result.parameters(), 1.0);
        deltas.add(dc, 1.0);
        trainLoss.add(result);
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        Metrics.Builder m = Metrics.builder();
        trainLoss.putInto(m);
        m.put("clients_aggregated", models.count());
        if (models.count() == 0) {
          return new AggregateResult(global, m.build());
        }
        ParameterSet meanModel = models.mean();
        ParameterSet meanDelta = deltas.mean();
        double share = (double) models.count() / totalClients;
        List<Tensor> next = new ArrayList<>();
        List<Tensor> nextControl = new ArrayList<>();
        for (int t = 0; t < global.count(); t++) {
          float[] x = global.tensors().get(t).data();
          float[] y = meanModel.tensors().get(t).data();
          float[] c = control.tensors().get(t).data();
          float[] dc = meanDelta.tensors().get(t).data();
          float[] nx = new float[x.length];
          float[] nc = new float[x.length];
          for (int i = 0; i < x.length; i++) {
            nx[i] = (float) (x[i] + serverLr * (y[i] - x[i]));
            nc[i] = (float) (c[i] + share * dc[i]);
          }
          Tensor spec = global.tensors().get(t);
          next.add(Tensor.of(spec.name(), nx, spec.shape()));
          nextControl.add(Tensor.of(spec.name(), nc, spec.shape()));
        }
        control = ParameterSet.of(nextControl);
        return new AggregateResult(ParameterSet.of(next), m.build());
      }
    };
  }

  /** The client half: correct gradients by {@code c - c_i}, then update {@code c_i} (option II). */
  static TrainResult clientFit(ParameterSet global, TrainConfig config, ClientState state, TrainInterceptor.Trainer next) {
    ParameterSet c = config.attachments().get(SERVER_CONTROL).orElseThrow(() -> new FlException(
        ErrorCode.FAILED_PRECONDITION, "SCAFFOLD client got a job without the server control variate"));
    ParameterSet ci = state.get(CLIENT_CONTROL).orElseGet(global::zerosLike);
    ParameterSet correction = combine(c, ci, 1, -1);
    TrainResult r = next.fit(global, config.withGradientCorrection(correction));
    long k = r.localSteps();
    if (k == 0) {
      return r.withAttachments(r.attachments().with(CONTROL_DELTA, global.zerosLike()));
    }
    double inv = 1.0 / (k * config.learningRate());
    // c_i+ = c_i - c + (x - y) / (K lr); dc = c_i+ - c_i = -c + (x - y) / (K lr)
    ParameterSet newCi = combine(ci, c, 1, -1);
    ParameterSet drift = combine(global, r.parameters(), inv, -inv);
    newCi = combine(newCi, drift, 1, 1);
    ParameterSet dc = combine(newCi, ci, 1, -1);
    state.put(CLIENT_CONTROL, newCi);
    Attachments a = r.attachments().with(CONTROL_DELTA, dc);
    return r.withAttachments(a);
  }

  /** {@code alpha * a + beta * b} coordinate-wise, in a new set. */
  private static ParameterSet combine(ParameterSet a, ParameterSet b, double alpha, double beta) {
    List<Tensor> out = new ArrayList<>(a.count());
    for (int t = 0; t < a.count(); t++) {
      float[] x = a.tensors().get(t).data();
      float[] y = b.tensors().get(t).data();
      float[] r = new float[x.length];
      float fa = (float) alpha;
      float fb = (float) beta;
      for (int i = 0; i < x.length; i++) {
        r[i] = fa * x[i] + fb * y[i];
      }
      out.add(Tensor.of(a.tensors().get(t).name(), r, a.tensors().get(t).shape()));
    }
    return ParameterSet.of(out);
  }

  @Override
  public AggregationInput requiredInput() {
    return AggregationInput.PER_CLIENT_DETAILS;
  }

  @Override
  public String describe() {
    return "Scaffold(eta_g=" + serverLr + ")";
  }
}
