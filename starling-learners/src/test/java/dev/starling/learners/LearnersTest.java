package dev.starling.learners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.learner.LocalLearner;
import dev.starling.core.learner.Task;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import org.junit.jupiter.api.Test;

class LearnersTest {
  private static final Dataset DATA = Dataset.builder().features(new float[] {1f, 2f, 3f, 4f, 5f, 6f})
      .labels(new int[] {0, 1, 2}).numFeatures(2).numClasses(3).build();

  @Test
  void builtinSpecsResolveThroughTheirProvider_toTheSameModelSpec() {
    assertThat(Learners.parse("logreg")).isEqualTo(ModelSpec.logreg());
    assertThat(Learners.parse("MLP:32,16")).isEqualTo(ModelSpec.mlp(32, 16));
    assertThat(Learners.parse("mlp:32").id()).isEqualTo("mlp:32");
  }

  @Test
  void unknownOrMalformedSpec_namesTheValueAndTheKnownForms() {
    assertThatThrownBy(() -> Learners.parse("resnet:50")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'resnet:50'").hasMessageContaining("logreg | mlp:H1,H2,...");
    assertThatThrownBy(() -> Learners.parse("mlp:0")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'mlp:0'");
    assertThatThrownBy(() -> Learners.parse("logreg:3")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'logreg:3'");
  }

  @Test
  void builtinFactory_initialParametersAreTheSpecsInitialisationOnTheInitStream() {
    LearnerContext ctx = LearnerContext.of("mlp:4", DATA, 42);
    assertThat(ctx).isEqualTo(new LearnerContext("mlp:4", 2, 3, Task.CLASSIFICATION, 42));
    LocalLearner learner = ModelSpec.mlp(4).create(ctx, DATA);
    ParameterSet expected = ModelSpec.mlp(4).initialize(2, 3, RandomSource.seeded(42).derive(0x1417L));
    assertThat(learner.parameters()).isEqualTo(expected);
    assertThat(learner.parameters()).isSameAs(learner.parameters());
    // a learner made for a training job starts from the global model, whatever its own initial parameters were
    ParameterSet global = ModelSpec.mlp(4).initialize(2, 3, RandomSource.seeded(7));
    var viaFactory = ModelSpec.mlp(4).create(ctx, DATA).fit(global, dev.starling.core.learner.TrainConfig.builder().build());
    var direct = new SgdLearner(ModelSpec.mlp(4), DATA, global).fit(global, dev.starling.core.learner.TrainConfig.builder()
        .build());
    assertThat(viaFactory.parameters()).isEqualTo(direct.parameters());
  }
}
