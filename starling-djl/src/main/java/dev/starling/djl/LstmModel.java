package dev.starling.djl;

import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.recurrent.LSTM;
import ai.djl.nn.transformer.IdEmbedding;
import dev.starling.core.error.Checks;
import dev.starling.core.learner.Task;
import dev.starling.djl.internal.LastStep;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * The character LSTM of the FedAvg paper's Shakespeare task (McMahan et al. 2017, section 3): each character
 * mapped to an {@code embedding}-dimensional vector, {@code layers} stacked LSTM layers of {@code units}
 * cells, and a softmax over the vocabulary computed from the last position's state (next-character
 * prediction). The paper's sizes are 8, 256 and 2.
 *
 * @param embedding embedding dimension
 * @param units LSTM cells per layer
 * @param layers stacked LSTM layers
 */
public record LstmModel(int embedding, int units, int layers) implements DjlModel {
  /** The paper's sizes. */
  public static final LstmModel FEDAVG = new LstmModel(8, 256, 2);

  public LstmModel {
    Checks.checkPositive(embedding, "embedding");
    Checks.checkPositive(units, "units");
    Checks.checkPositive(layers, "layers");
  }

  @Override
  public String spec() {
    return "djl:lstm:" + embedding + "," + units + "," + layers;
  }

  @Override
  public Set<Task> tasks() {
    return EnumSet.of(Task.NEXT_TOKEN);
  }

  @Override
  public boolean tokenInput() {
    return true;
  }

  @Override
  public Block build(int[] exampleShape, int outputs) {
    Checks.checkArgument(exampleShape.length == 1, "example shape for " + spec(), "[sequenceLength]",
        Arrays.toString(exampleShape));
    Checks.checkPositive(outputs, "vocabulary");
    return new SequentialBlock()
        .add(new IdEmbedding.Builder().setDictionarySize(outputs).setEmbeddingSize(embedding).build())
        .add(LSTM.builder().setStateSize(units).setNumLayers(layers).optBatchFirst(true).optReturnState(false).build())
        .add(new LastStep())
        .add(Linear.builder().setUnits(outputs).build());
  }
}
