package dev.starling.benchmarks;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.ModelSpec;
import dev.starling.learners.SgdLearner;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;

/**
 * Local-training throughput per core on a shared, busy machine: the work of {@link LearnerBenchmark}
 * (one epoch of {@link SgdLearner#fit} over the same MNIST rows, one thread) timed by the thread's CPU
 * clock as well as the wall clock. Samples per CPU-second is what one core delivers whatever else runs on
 * the machine; {@code scripts/numpy_mlp.py} reports the same for numpy. Run:
 * {@code java -cp starling-benchmarks/target/benchmarks.jar dev.starling.benchmarks.LearnerThroughput}.
 */
public final class LearnerThroughput {
  private LearnerThroughput() {}

  public static void main(String[] args) throws Exception {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Dataset data = LearnerBenchmark.mnist();
    for (String model : new String[] {"mlp:200,200", "logreg"}) {
      for (int batch : new int[] {10, 64}) {
        ModelSpec spec = ModelSpec.parse(model);
        ParameterSet global = spec.initialize(data.numFeatures(), data.numClasses(), RandomSource.seeded(1));
        SgdLearner learner = new SgdLearner(spec, data, global);
        TrainConfig config = TrainConfig.builder().localEpochs(1).batchSize(batch).learningRate(0.05).build();
        int warm = 30;
        int runs = 21;
        double[] wall = new double[runs];
        double[] cpu = new double[runs];
        for (int i = 0; i < warm + runs; i++) {
          long w0 = System.nanoTime();
          long c0 = threads.getCurrentThreadCpuTime();
          learner.fit(global, config);
          if (i >= warm) {
            cpu[i - warm] = (threads.getCurrentThreadCpuTime() - c0) / 1e9;
            wall[i - warm] = (System.nanoTime() - w0) / 1e9;
          }
        }
        System.out.printf(Locale.ROOT, "model=%s batch=%d samples_per_cpu_second=%.0f samples_per_wall_second=%.0f (median of %d epochs of %d rows)%n",
            model, batch, data.size() / median(cpu), data.size() / median(wall), runs, data.size());
      }
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
