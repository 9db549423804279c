package dev.starling.simulation.partition;

import dev.starling.core.error.Checks;
import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import java.util.List;

/**
 * Quantity skew: labels stay IID but clients hold very different amounts of data. Each client draws a
 * weight {@code w_i ~ LogNormal(0, sigma)}; client sizes are proportional to the weights, then shuffled
 * rows are dealt out in runs of those sizes. Lognormal client sizes follow the "unbalanced" setting of
 * Acar, Zhao, Matas, Mattina, Whatmough and Saligrama, <i>Federated Learning Based on Dynamic
 * Regularization</i>, ICLR 2021 (also FedLab's {@code unbalance_sgm}); quantity skew as a category of
 * non-IID data is defined by Li, Diao, Chen and He, <i>Federated Learning on Non-IID Data Silos: An
 * Experimental Study</i>, ICDE 2022.
 *
 * <p>The coefficient of variation of the sizes grows with {@code sigma} (for the weights it is {@code
 * sqrt(exp(sigma^2) - 1)}); {@code sigma = 0} gives near-equal sizes like {@link IidPartitioner}.
 *
 * <p>Guarantees: the shards are a disjoint cover of all rows and every client gets at least one row
 * (one row is reserved per client and the remaining {@code size - numClients} rows are split by the
 * weights with cumulative rounding). {@code numClients} must be in {@code [1, data.size()]}, else
 * {@link IllegalArgumentException}. Shard keys are the client indices; rows within a shard are in
 * ascending order.
 *
 * <p>Immutable and thread-safe; deterministic for a given state of {@code rng}, which is advanced.
 * Spec: {@code quantity:SIGMA}.
 *
 * @param sigma standard deviation of the log-weights; {@code >= 0} and finite
 */
public record QuantitySkewPartitioner(double sigma) implements Partitioner {

  /** Validates {@code sigma}. */
  public QuantitySkewPartitioner {
    Checks.checkNonNegative(sigma, "sigma");
    sigma = sigma + 0.0; // normalise -0.0 so that describe() round-trips to an equal record
  }

  @Override
  public List<ClientShard> partition(Dataset data, int numClients, RandomSource rng) {
    PartitionSupport.checkClients(data, numClients);
    double[] z = new double[numClients];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < numClients; i++) {
      z[i] = sigma * rng.nextGaussian();
      max = Math.max(max, z[i]);
    }
    double[] weights = new double[numClients];
    for (int i = 0; i < numClients; i++) {
      weights[i] = Math.exp(z[i] - max); // scaled by exp(-max) so large sigma cannot overflow
    }
    int[] sizes = PartitionSupport.proportionalSizes(data.size() - numClients, weights);
    for (int i = 0; i < numClients; i++) {
      sizes[i]++;
    }
    int[] order = rng.permutation(data.size());
    return PartitionSupport.cut(order, sizes);
  }

  /** Returns {@code quantity:SIGMA}, e.g. {@code quantity:1.5}. */
  @Override
  public String describe() {
    return "quantity:" + PartitionSupport.format(sigma);
  }
}
