package dev.starling.ledger;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Re-checks, against the kept updates and models ({@link ModelStore}), that each block's digests name
 * files holding exactly that content and, for a run whose rule is {@link ModelStore#FEDAVG}, that each
 * recorded global model is the example-weighted average of the round's recorded updates: recomputed in
 * double precision, and equal to the recorded model within float32 rounding ({@link #TOLERANCE} relative
 * to the largest magnitude in the tensor, since the server's float32 fold order may differ). Stops at the
 * first problem and names its block and field.
 */
public final class ModelVerifier {
  /** Largest difference accepted, relative to max(1, largest magnitude of the tensor). */
  public static final double TOLERANCE = 1e-5;

  private ModelVerifier() {}

  /** The outcome: {@code ok}, how many rounds were re-aggregated, or the first bad block and field. */
  public record Result(boolean ok, int reaggregated, String rule, long badBlock, String field, String message) {
    public String describe() {
      if (!ok) {
        return "block " + badBlock + ", field " + field + ": " + message;
      }
      return FEDAVG_RULE.equals(rule) ? "models ok: " + reaggregated + " rounds re-aggregated (FedAvg) from the kept updates"
          : "models ok: every kept file matches its digest; rounds not re-aggregated (rule '" + rule
          + "' is not one verify recomputes; it recomputes " + FEDAVG_RULE + ")";
    }
  }

  private static final String FEDAVG_RULE = ModelStore.FEDAVG;

  public static Result verify(List<Block> blocks, ModelStore store) throws IOException {
    String rule = store.aggregate();
    int done = 0;
    for (Block b : blocks) {
      RoundEntry e = b.body();
      Optional<ParameterSet> before = load(store, e.modelBefore());
      if (before.isEmpty()) {
        return bad(rule, b, "model_before", missingOrAltered(store, e.modelBefore()));
      }
      Optional<ParameterSet> after = load(store, e.modelAfter());
      if (after.isEmpty()) {
        return bad(rule, b, "model_after", missingOrAltered(store, e.modelAfter()));
      }
      List<RoundEntry.Participant> parts = e.participants();
      ParameterSet[] updates = new ParameterSet[parts.size()];
      for (int j = 0; j < parts.size(); j++) {
        Optional<ParameterSet> u = load(store, parts.get(j).updateHash());
        if (u.isEmpty()) {
          return bad(rule, b, "participants[" + j + "].update_hash", "client " + parts.get(j).client() + "'s update: "
              + missingOrAltered(store, parts.get(j).updateHash()));
        }
        updates[j] = u.get();
      }
      if (!FEDAVG_RULE.equals(rule) || parts.isEmpty()) {
        continue;
      }
      String problem = fedAvgMismatch(parts, updates, after.get());
      if (problem != null) {
        return bad(rule, b, "model_after", problem);
      }
      done++;
    }
    return new Result(true, done, rule, -1, "", "");
  }

  /** Null when {@code after} is the example-weighted mean of {@code updates}; else what differs. */
  private static String fedAvgMismatch(List<RoundEntry.Participant> parts, ParameterSet[] updates, ParameterSet after) {
    double total = 0;
    for (RoundEntry.Participant p : parts) {
      total += p.examples();
    }
    if (!(total > 0)) {
      return "the round's updates carry no examples, so FedAvg has no weights";
    }
    for (Tensor t : after) {
      float[] want = t.data();
      double[] sum = new double[want.length];
      for (int j = 0; j < updates.length; j++) {
        if (!updates[j].names().contains(t.name())) {
          return "client " + parts.get(j).client() + "'s update has no tensor '" + t.name() + "'";
        }
        float[] x = updates[j].get(t.name()).data();
        if (x.length != want.length || !Arrays.equals(updates[j].get(t.name()).shape(), t.shape())) {
          return "client " + parts.get(j).client() + "'s tensor '" + t.name() + "' has another shape than the model's";
        }
        double w = parts.get(j).examples() / total;
        for (int i = 0; i < x.length; i++) {
          sum[i] += w * x[i];
        }
      }
      double scale = 1;
      for (float v : want) {
        scale = Math.max(scale, Math.abs(v));
      }
      for (int i = 0; i < want.length; i++) {
        double diff = Math.abs(sum[i] - want[i]);
        if (!(diff <= TOLERANCE * scale)) {
          return String.format(Locale.ROOT, "is not the example-weighted average of the recorded updates: tensor '%s'[%d]"
              + " is %s, the average is %s", t.name(), i, want[i], (float) sum[i]);
        }
      }
    }
    return null;
  }

  /** The model under {@code digest} when its file exists and holds exactly that content. */
  private static Optional<ParameterSet> load(ModelStore store, byte[] digest) {
    Optional<ParameterSet> p;
    try {
      p = store.get(digest);
    } catch (IOException e) {
      return Optional.empty(); // unreadable: reported as altered
    }
    return p.isPresent() && Arrays.equals(Digests.of(p.get()), digest) ? p : Optional.empty();
  }

  private static String missingOrAltered(ModelStore store, byte[] digest) {
    return java.nio.file.Files.exists(store.file(digest))
        ? store.file(digest) + " does not hash to " + Digests.hex(digest) + " (altered)"
        : store.file(digest).getFileName() + " is not in " + store.dir();
  }

  private static Result bad(String rule, Block b, String field, String message) {
    return new Result(false, 0, rule, b.index(), field, message);
  }
}
