package dev.starling.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DjlModelsTest {
  @Test
  void parse_defaultsAndArguments_giveTheNamedArchitectures() {
    assertThat(DjlModels.parse("djl:cnn")).isEqualTo(new CnnModel(32, 64, 512));
    assertThat(DjlModels.parse("djl:cnn:8,16,32")).isEqualTo(new CnnModel(8, 16, 32));
    assertThat(DjlModels.parse("djl:lstm")).isEqualTo(new LstmModel(8, 256, 2));
    assertThat(DjlModels.parse("djl:transformer:2,64,4")).isEqualTo(new TransformerModel(2, 64, 4));
    assertThat(DjlModels.parse("DJL:MLP:64,32")).isEqualTo(new MlpModel(new int[] {64, 32}));
    assertThat(((MlpModel) DjlModels.parse("djl:mlp:")).hidden()).isEmpty();
    assertThat(DjlModels.parse("djl:transformer:3,32,2").spec()).isEqualTo("djl:transformer:3,32,2");
  }

  @Test
  void parse_badSpecs_nameTheSpecAndTheReason() {
    assertThatThrownBy(() -> DjlModels.parse("djl:resnet")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'djl:resnet'").hasMessageContaining("unknown model 'resnet'")
        .hasMessageContaining("djl:transformer[:LAYERS,DIM,HEADS]");
    assertThatThrownBy(() -> DjlModels.parse("djl:cnn:32,64")).hasMessageContaining("expected 3");
    assertThatThrownBy(() -> DjlModels.parse("djl:transformer:2,x,4")).hasMessageContaining("'x' is not an integer");
    assertThatThrownBy(() -> DjlModels.parse("djl:transformer:2,64,5")).hasMessageContaining("divisible by heads");
    assertThatThrownBy(() -> DjlModels.parse("mlp:64")).hasMessageContaining("does not start with 'djl:'");
    assertThat(DjlModels.handles("djl:cnn")).isTrue();
    assertThat(DjlModels.handles("mlp:64")).isFalse();
  }

  @Test
  void parameterCount_fedAvgCnnOnMnist_is1663370() {
    assertThat(DjlModels.parameterCount(CnnModel.FEDAVG, new int[] {1, 28, 28}, 10)).isEqualTo(1_663_370L);
    assertThat(DjlModels.describe(CnnModel.FEDAVG, new int[] {1, 28, 28}, 10)).contains("1,663,370 parameters");
  }

  @Test
  void parameterCount_lstmAndTransformer_matchTheirFormulas() {
    int v = 80;
    long lstm = 8L * v                                // embedding
        + 4L * 256 * (8 + 256) + 2L * 4 * 256         // layer 1: input and recurrent weights, two biases
        + 4L * 256 * (256 + 256) + 2L * 4 * 256       // layer 2
        + 256L * v + v;                               // output
    assertThat(DjlModels.parameterCount(LstmModel.FEDAVG, new int[] {80}, v)).isEqualTo(lstm);
    int d = 64;
    int t = 32;
    long block = 2L * 2 * d                           // two layer norms
        + 4L * (d * d + d)                            // q, k, v, output projections
        + (d * 4L * d + 4L * d) + (4L * d * d + d);   // feed-forward
    long transformer = (long) v * d + (long) t * d + 2 * block + 2L * d + (long) d * v + v;
    assertThat(DjlModels.parameterCount(TransformerModel.SMALL, new int[] {t}, v)).isEqualTo(transformer);
    assertThat(DjlModels.parameterCount(new MlpModel(new int[] {64, 32}), new int[] {13}, 1))
        .isEqualTo(13 * 64 + 64 + 64 * 32 + 32 + 32 + 1);
  }
}
