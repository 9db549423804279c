package dev.starling.djl;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import java.util.Locale;

/**
 * Local-training throughput of the FedAvg CNN on MNIST-shaped random data (1x28x28, 10 classes): samples per
 * second of {@code DjlLearner.fit}, one epoch over N examples after one warm-up epoch, for each batch size.
 * Not a test; run by hand (see README "Deep models (DJL)"): args {@code [examples] [threads] [batch...]}.
 */
public final class CnnThroughput {
  private CnnThroughput() {}

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    int[] batches = args.length > 2 ? java.util.Arrays.stream(args, 2, args.length).mapToInt(Integer::parseInt).toArray()
        : new int[] {10, 64};
    RandomSource r = RandomSource.seeded(1);
    float[] x = new float[n * 784];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = r.nextInt(10);
      for (int j = 0; j < 784; j++) {
        x[i * 784 + j] = r.nextFloat();
      }
    }
    DjlData data = DjlData.classification("mnist-shaped", x, y, 10, 1, 28, 28);
    System.out.println(DjlModels.describe(CnnModel.FEDAVG, new int[] {1, 28, 28}, 10) + ", threads " + threads);
    try (DjlLearner learner = DjlLearner.create(CnnModel.FEDAVG, data, 1, threads)) {
      ParameterSet p = learner.parameters();
      for (int b : batches) {
        TrainConfig config = TrainConfig.builder().batchSize(b).learningRate(0.01).momentum(0.9).seed(b).build();
        learner.fit(p, config);
        long t0 = System.nanoTime();
        learner.fit(p, config);
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "batch %3d: %8.1f samples/s (%d samples in %.2f s)%n", b, n / s, n, s);
      }
    }
  }
}
