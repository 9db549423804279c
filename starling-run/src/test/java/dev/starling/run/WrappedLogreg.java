package dev.starling.run;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.LocalLearner;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.Learners;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Test learners: the built-in logreg with its fit wrapped (held back by latches, or its result replaced). */
final class WrappedLogreg {
  /** A fit in terms of the wrapped logreg's own. */
  interface Fit {
    TrainResult fit(LocalLearner logreg, ParameterSet global, TrainConfig config);
  }

  private WrappedLogreg() {}

  /** logreg whose every fit goes through {@code fit}; parameters and evaluation are logreg's. */
  static LearnerFactory of(Fit fit) {
    LearnerFactory base = Learners.parse("logreg");
    return (ctx, data) -> {
      LocalLearner l = base.create(ctx, data);
      return new LocalLearner() {
        @Override
        public ParameterSet parameters() {
          return l.parameters();
        }

        @Override
        public TrainResult fit(ParameterSet global, TrainConfig config) {
          return fit.fit(l, global, config);
        }

        @Override
        public EvalResult evaluate(ParameterSet global) {
          return l.evaluate(global);
        }
      };
    };
  }

  /** Waits up to a minute for {@code latch} (null: does not wait); a latch that never opens fails the fit. */
  static void await(CountDownLatch latch) {
    if (latch == null) {
      return;
    }
    try {
      if (!latch.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("gate never opened");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
