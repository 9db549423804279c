package dev.starling.djl;

import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import dev.starling.core.error.Checks;
import dev.starling.core.learner.Task;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A fully connected network with ReLU hidden layers: one linear output for regression, logits for
 * classification. Input of any shape is flattened.
 *
 * @param hidden units per hidden layer (may be empty: a linear model)
 */
public record MlpModel(int[] hidden) implements DjlModel {
  public MlpModel {
    hidden = hidden.clone();
    for (int h : hidden) {
      Checks.checkArgument(h > 0, "hidden layer sizes", "all positive", Arrays.toString(hidden));
    }
  }

  @Override
  public int[] hidden() {
    return hidden.clone();
  }

  @Override
  public String spec() {
    return "djl:mlp" + (hidden.length == 0 ? ":" : ":" + Arrays.stream(hidden).mapToObj(Integer::toString)
        .collect(Collectors.joining(",")));
  }

  @Override
  public Set<Task> tasks() {
    return EnumSet.of(Task.CLASSIFICATION, Task.REGRESSION);
  }

  @Override
  public boolean tokenInput() {
    return false;
  }

  @Override
  public Block build(int[] exampleShape, int outputs) {
    Checks.checkPositive(outputs, "outputs");
    SequentialBlock b = new SequentialBlock().add(Blocks.batchFlattenBlock());
    for (int h : hidden) {
      b.add(Linear.builder().setUnits(h).build()).add(Activation::relu);
    }
    return b.add(Linear.builder().setUnits(outputs).build());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MlpModel m && Arrays.equals(hidden, m.hidden);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(hidden);
  }

  @Override
  public String toString() {
    return spec();
  }
}
