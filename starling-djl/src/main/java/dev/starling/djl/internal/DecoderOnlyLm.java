package dev.starling.djl.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.nn.transformer.IdEmbedding;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * Decoder-only language model: token ids {@code (B, T)} to next-token logits {@code (B, V)} read at the last
 * position, with a causal mask so position t sees positions {@code <= t} only.
 */
public final class DecoderOnlyLm extends AbstractBlock {
  private final int vocabulary;
  private final int context;
  private final int dim;
  private final IdEmbedding tokens;
  private final Parameter position;
  private final List<DecoderBlock> blocks = new ArrayList<>();
  private final LayerNorm lnFinal;
  private final Linear head;

  public DecoderOnlyLm(int vocabulary, int context, int layers, int dim, int heads) {
    this.vocabulary = vocabulary;
    this.context = context;
    this.dim = dim;
    tokens = addChildBlock("tokens", new IdEmbedding.Builder().setDictionarySize(vocabulary).setEmbeddingSize(dim).build());
    position = addParameter(Parameter.builder().setName("position").setType(Parameter.Type.WEIGHT)
        .optShape(new Shape(context, dim)).optInitializer(Initializer.ZEROS).build());
    for (int i = 0; i < layers; i++) {
      blocks.add(addChildBlock("block" + i, new DecoderBlock(dim, heads)));
    }
    lnFinal = addChildBlock("lnFinal", LayerNorm.builder().axis(2).build());
    head = addChildBlock("head", Linear.builder().setUnits(vocabulary).build());
  }

  @Override
  protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray ids = inputs.head();
    long b = ids.getShape().get(0);
    int t = (int) ids.getShape().get(1);
    NDArray x = tokens.forward(ps, new NDList(ids), training).head();
    NDArray pos = ps.getValue(position, x.getDevice(), training);
    x = x.add(t == context ? pos : pos.get("0:" + t));
    NDArray mask = causalMask(ids.getManager(), b, t);
    for (DecoderBlock block : blocks) {
      x = block.forward(ps, new NDList(x, mask), training).head();
    }
    x = lnFinal.forward(ps, new NDList(x), training).head();
    return head.forward(ps, new NDList(x.get(":, -1, :")), training);
  }

  private static NDArray causalMask(NDManager manager, long batch, int t) {
    float[] m = new float[t * t];
    for (int i = 0; i < t; i++) {
      for (int j = 0; j <= i; j++) {
        m[i * t + j] = 1f;
      }
    }
    return manager.create(m, new Shape(1, t, t)).broadcast(batch, t, t);
  }

  @Override
  public void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
    Shape ids = inputShapes[0];
    tokens.initialize(manager, dataType, ids);
    Shape x = new Shape(ids.get(0), ids.get(1), dim);
    Shape mask = new Shape(ids.get(0), ids.get(1), ids.get(1));
    for (DecoderBlock block : blocks) {
      block.initialize(manager, dataType, x, mask);
    }
    lnFinal.initialize(manager, dataType, x);
    head.initialize(manager, dataType, new Shape(ids.get(0), dim));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {new Shape(inputShapes[0].get(0), vocabulary)};
  }
}
