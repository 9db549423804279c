package example.learner;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.LocalLearner;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.Dataset;
import dev.starling.learners.LearnerContext;
import java.util.Arrays;

/**
 * A nearest-class-mean classifier as a Starling {@link LocalLearner}: the model is one centroid per class (tensor
 * {@code centroids}, shape {@code [classes, features]}); a client's update is the mean of its own rows of each class
 * it has (the other centroids are kept from the global model), so FedAvg's example-weighted average is close to
 * the global class means. Starling knows nothing of it but this interface.
 */
public record Centroids(LearnerContext ctx, Dataset data) implements LocalLearner {
  @Override
  public ParameterSet parameters() {
    return ParameterSet.of(Tensor.zeros("centroids", ctx.numOutputs(), ctx.numFeatures()));
  }

  @Override
  public TrainResult fit(ParameterSet global, TrainConfig config) {
    int d = ctx.numFeatures();
    int[] n = data.classCounts();
    float[] c = global.get("centroids").data().clone();
    for (int k = 0; k < n.length; k++) {
      if (n[k] > 0) {
        Arrays.fill(c, k * d, (k + 1) * d, 0f);
      }
    }
    for (int i = 0; i < data.size(); i++) {
      for (int j = 0; j < d; j++) {
        c[data.label(i) * d + j] += data.feature(i, j) / n[data.label(i)];
      }
    }
    return new TrainResult(ParameterSet.of(Tensor.of("centroids", c, n.length, d)), data.size(), 1, Metrics.empty());
  }

  @Override
  public EvalResult evaluate(ParameterSet global) {
    float[] c = global.get("centroids").data();
    int d = ctx.numFeatures();
    int hits = 0;
    for (int i = 0; i < data.size(); i++) {
      int best = 0;
      double bestDist = Double.MAX_VALUE;
      for (int k = 0; k < ctx.numOutputs(); k++) {
        double dist = 0;
        for (int j = 0; j < d; j++) {
          double diff = data.feature(i, j) - c[k * d + j];
          dist += diff * diff;
        }
        if (dist < bestDist) {
          bestDist = dist;
          best = k;
        }
      }
      hits += best == data.label(i) ? 1 : 0;
    }
    return new EvalResult(data.size(), Metrics.of(Metrics.ACCURACY, hits / (double) data.size()));
  }
}
