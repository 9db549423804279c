package dev.starling.benchmarks;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.Strategy;
import dev.starling.strategy.robust.RobustRules;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One server-side aggregation through the real strategy path ({@code beginAggregation}, {@code accept}
 * per update, {@code finish}) on random float32 updates held in memory: the same work as
 * {@code starling bench aggregate}. A case is {@code RULE@CLIENTSxPARAMS}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xmx8g"})
public class AggregationBenchmark {
  @Param({"fedavg@100x1000000", "fedavg@10x10000000", "median@100x1000000", "trimmed:0.1@100x1000000",
      "krum:10@50x100000", "multikrum:10@50x100000"})
  public String rule;

  private Strategy strategy;
  private ParameterSet global;
  private TrainResult[] updates;

  @Setup
  public void setUp() {
    int at = rule.lastIndexOf('@');
    String spec = rule.substring(0, at);
    String[] size = rule.substring(at + 1).split("x");
    int clients = Integer.parseInt(size[0]);
    int params = Integer.parseInt(size[1]);
    strategy = spec.equals("fedavg") ? new FedAvg() : RobustRules.parse(spec);
    global = ParameterSet.of(List.of(Tensor.of("w", new float[params], params)));
    SplittableRandom r = new SplittableRandom(1);
    updates = new TrainResult[clients];
    for (int i = 0; i < clients; i++) {
      float[] d = new float[params];
      for (int j = 0; j < params; j++) {
        d[j] = (float) (r.nextGaussian() * 0.01);
      }
      updates[i] = new TrainResult(ParameterSet.of(List.of(Tensor.of("w", d, params))), 10 + i % 7, 1, Metrics.empty());
    }
  }

  @Benchmark
  public AggregateResult aggregate() {
    Aggregation a = strategy.beginAggregation(1, global);
    for (int i = 0; i < updates.length; i++) {
      a.accept(ClientId.ofIndex(i), updates[i]);
    }
    return a.finish(List.of());
  }
}
