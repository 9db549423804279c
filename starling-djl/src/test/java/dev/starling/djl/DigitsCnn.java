package dev.starling.djl;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.CatalogOptions;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.Learners;
import dev.starling.learners.submodel.DroppableModel;
import dev.starling.learners.submodel.SubModelCapable;
import java.util.stream.IntStream;

/**
 * The CNN sub-model tests' fixture: a {@code djl:cnn:...} spec on the first rows of the bundled digits, its factory
 * and its initial parameters.
 */
record DigitsCnn(String spec, Dataset digits, LearnerFactory factory, ParameterSet full) {
  static DigitsCnn load(String spec, int rows) throws Exception {
    Dataset digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults()).train().subset(range(rows));
    LearnerFactory factory = Learners.parse(spec);
    return new DigitsCnn(spec, digits, factory, factory.create(context(spec, digits), digits).parameters());
  }

  /** Rows 0 to n - 1. */
  static int[] range(int n) {
    return IntStream.range(0, n).toArray();
  }

  private static LearnerContext context(String spec, Dataset digits) {
    return LearnerContext.of(spec, digits, 5);
  }

  LearnerContext context() {
    return context(spec, digits);
  }

  DroppableModel droppable() {
    return SubModelCapable.of(factory).orElseThrow().droppable(context(), digits);
  }
}
