package dev.starling.djl;

import ai.djl.nn.Block;
import dev.starling.core.error.Checks;
import dev.starling.core.learner.Task;
import dev.starling.djl.internal.DecoderOnlyLm;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * A small decoder-only transformer for next-token prediction (GPT-style, Radford et al. 2018, with pre-layer
 * normalisation): token and learned position embeddings of {@code dim}, {@code layers} blocks of causal
 * multi-head self-attention ({@code heads} heads) and a GELU feed-forward layer of {@code 4 * dim}, each
 * with a residual connection, a final layer norm and a linear head over the vocabulary read at the last
 * position. No dropout, so training is deterministic given the seed.
 *
 * @param layers decoder blocks
 * @param dim model width; divisible by {@code heads}
 * @param heads attention heads
 */
public record TransformerModel(int layers, int dim, int heads) implements DjlModel {
  /** The default size, {@code djl:transformer:2,64,4}. */
  public static final TransformerModel SMALL = new TransformerModel(2, 64, 4);

  public TransformerModel {
    Checks.checkPositive(layers, "layers");
    Checks.checkPositive(dim, "dim");
    Checks.checkPositive(heads, "heads");
    Checks.checkArgument(dim % heads == 0, "dim", "divisible by heads = " + heads, dim);
  }

  @Override
  public String spec() {
    return "djl:transformer:" + layers + "," + dim + "," + heads;
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
    return new DecoderOnlyLm(outputs, exampleShape[0], layers, dim, heads);
  }
}
