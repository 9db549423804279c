package dev.starling.djl.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.transformer.ScaledDotProductAttentionBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * One pre-norm transformer decoder block: {@code h = x + attn(ln1(x), mask)}, {@code out = h + ff2(gelu(ff1(ln2(h))))}.
 * Inputs: {@code x (B, T, D)} and a {@code (B, T, T)} mask of 1 (attend) and 0 (masked).
 */
public final class DecoderBlock extends AbstractBlock {
  private final int dim;
  private final LayerNorm ln1;
  private final ScaledDotProductAttentionBlock attention;
  private final LayerNorm ln2;
  private final Linear ff1;
  private final Linear ff2;

  public DecoderBlock(int dim, int heads) {
    this.dim = dim;
    ln1 = addChildBlock("ln1", LayerNorm.builder().axis(2).build());
    attention = addChildBlock("attention", ScaledDotProductAttentionBlock.builder().setEmbeddingSize(dim)
        .setHeadCount(heads).optAttentionProbsDropoutProb(0f).build());
    ln2 = addChildBlock("ln2", LayerNorm.builder().axis(2).build());
    ff1 = addChildBlock("ff1", Linear.builder().setUnits(4L * dim).build());
    ff2 = addChildBlock("ff2", Linear.builder().setUnits(dim).build());
  }

  @Override
  protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.get(0);
    NDArray mask = inputs.get(1);
    NDArray a = ln1.forward(ps, new NDList(x), training).head();
    NDArray h = x.add(attention.forward(ps, new NDList(a, mask), training).head());
    NDArray f = ln2.forward(ps, new NDList(h), training).head();
    f = Activation.gelu(ff1.forward(ps, new NDList(f), training).head());
    f = ff2.forward(ps, new NDList(f), training).head();
    return new NDList(h.add(f));
  }

  @Override
  public void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    Shape x = inputShapes[0];
    ln1.initialize(manager, dataType, x);
    attention.initialize(manager, dataType, x, inputShapes[1]);
    ln2.initialize(manager, dataType, x);
    ff1.initialize(manager, dataType, x);
    ff2.initialize(manager, dataType, new Shape(x.get(0), x.get(1), 4L * dim));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }
}
