package dev.starling.djl;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import dev.starling.core.error.Checks;
import dev.starling.core.learner.Task;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * The CNN of the FedAvg paper (McMahan et al., "Communication-Efficient Learning of Deep Networks from
 * Decentralized Data", AISTATS 2017, section 3): two 5x5 convolutions ({@code conv1}, {@code conv2} channels,
 * 'same' padding, ReLU), each followed by 2x2 max pooling, a fully connected layer of {@code dense} ReLU units
 * and a softmax output. With the defaults 32, 64, 512 on 1x28x28 input and 10 classes it has 1,663,370
 * parameters.
 *
 * @param conv1 channels of the first convolution
 * @param conv2 channels of the second convolution
 * @param dense units of the fully connected layer
 */
public record CnnModel(int conv1, int conv2, int dense) implements DjlModel {
  /** Index, among {@link #build}'s children, of the dense layer's ReLU: its output is the dense activation. */
  static final int DENSE_ACTIVATION = 8;

  /** The paper's sizes. */
  public static final CnnModel FEDAVG = new CnnModel(32, 64, 512);

  public CnnModel {
    Checks.checkPositive(conv1, "conv1");
    Checks.checkPositive(conv2, "conv2");
    Checks.checkPositive(dense, "dense");
  }

  @Override
  public String spec() {
    return "djl:cnn:" + conv1 + "," + conv2 + "," + dense;
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
    Checks.checkArgument(exampleShape.length == 3 && exampleShape[1] >= 4 && exampleShape[2] >= 4,
        "example shape for " + spec(), "[channels, height, width] with height and width >= 4 (e.g. [1, 28, 28])",
        Arrays.toString(exampleShape));
    Checks.checkPositive(outputs, "outputs");
    return new SequentialBlock()
        .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).optPadding(new Shape(2, 2)).setFilters(conv1).build())
        .add(Activation::relu)
        .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
        .add(Conv2d.builder().setKernelShape(new Shape(5, 5)).optPadding(new Shape(2, 2)).setFilters(conv2).build())
        .add(Activation::relu)
        .add(Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2)))
        .add(Blocks.batchFlattenBlock())
        .add(Linear.builder().setUnits(dense).build())
        .add(Activation::relu)
        .add(Linear.builder().setUnits(outputs).build());
  }
}
