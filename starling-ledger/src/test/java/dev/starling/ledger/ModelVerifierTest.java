package dev.starling.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelVerifierTest {
  @TempDir
  Path dir;

  private static ParameterSet model(float... w) {
    return ParameterSet.of(Tensor.of("w", w, w.length));
  }

  /** One round: updates u1 (30 examples) and u2 (10 examples) from m0; {@code after} recorded as the new model. */
  private List<Block> ledger(ModelStore store, ParameterSet m0, ParameterSet u1, ParameterSet u2, ParameterSet after) {
    try (FileLedger l = FileLedger.open(dir.resolve("ledger"), Fixtures.key(7), Fixtures.clock())) {
      l.append(new RoundEntry(1, Fixtures.digest("config"), store.put(m0), store.put(after),
          List.of(new RoundEntry.Participant("a", store.put(u1), 30, new byte[0], new byte[0]),
              new RoundEntry.Participant("b", store.put(u2), 10, new byte[0], new byte[0])),
          List.of(), List.of(), "", List.of(), Double.NaN));
      return l.blocks();
    }
  }

  @Test
  void theRecordedModelIsTheExampleWeightedAverageOfTheRecordedUpdates() throws IOException {
    ModelStore store = ModelStore.create(dir.resolve("models"), ModelStore.FEDAVG);
    List<Block> blocks = ledger(store, model(0, 0), model(1, 2), model(5, -2), model(2, 1));
    ModelVerifier.Result r = ModelVerifier.verify(blocks, ModelStore.open(dir.resolve("models")));
    assertThat(r.ok()).as(r.describe()).isTrue();
    assertThat(r.describe()).isEqualTo("models ok: 1 rounds re-aggregated (FedAvg) from the kept updates");
  }

  @Test
  void aModelThatIsNotTheAverageNamesTheBlockFieldAndCoordinate() throws IOException {
    ModelStore store = ModelStore.create(dir.resolve("models"), ModelStore.FEDAVG);
    List<Block> blocks = ledger(store, model(0, 0), model(1, 2), model(5, -2), model(2, 1.5f));
    ModelVerifier.Result r = ModelVerifier.verify(blocks, store);
    assertThat(r.describe()).isEqualTo("block 0, field model_after: is not the example-weighted average of the recorded"
        + " updates: tensor 'w'[1] is 1.5, the average is 1.0");
  }

  @Test
  void aMissingOrAlteredUpdateFileIsNamed() throws IOException {
    ModelStore store = ModelStore.create(dir.resolve("models"), ModelStore.FEDAVG);
    ParameterSet u2 = model(5, -2);
    List<Block> blocks = ledger(store, model(0, 0), model(1, 2), u2, model(2, 1));
    Path file = store.file(Digests.of(u2));
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length - 12] ^= 1;
    Files.write(file, bytes);
    assertThat(ModelVerifier.verify(blocks, store).describe()).startsWith("block 0, field participants[1].update_hash:"
        + " client b's update: ").endsWith("(altered)");
    Files.delete(file);
    assertThat(ModelVerifier.verify(blocks, store).describe()).startsWith("block 0, field participants[1].update_hash:"
        + " client b's update: " + Digests.hex(Digests.of(u2)) + ".model is not in");
  }

  @Test
  void otherRulesAreNotReaggregatedButTheirFilesAreChecked() throws IOException {
    ModelStore store = ModelStore.create(dir.resolve("models"), "FedAdam(lr=0.1)");
    List<Block> blocks = ledger(store, model(0, 0), model(1, 2), model(5, -2), model(9, 9));
    ModelVerifier.Result r = ModelVerifier.verify(blocks, store);
    assertThat(r.ok()).isTrue();
    assertThat(r.describe()).contains("not re-aggregated (rule 'FedAdam(lr=0.1)'");
  }
}
