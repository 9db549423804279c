package dev.starling.vertical.data;

import dev.starling.core.random.RandomSource;
import dev.starling.vertical.ColumnBlock;
import java.util.ArrayList;
import java.util.List;

/**
 * A data set split by columns between a label party and a feature party, with one id per row: the input of
 * a simulated vertical run (each party's table is cut from it).
 *
 * @param ids row ids
 * @param labelParty the label party's columns
 * @param featureParty the feature party's columns
 * @param labels 0/1 labels (held by the label party)
 */
public record VerticalDataset(List<String> ids, ColumnBlock labelParty, ColumnBlock featureParty, int[] labels) {
  public VerticalDataset {
    ids = List.copyOf(ids);
    if (labelParty.rows() != ids.size() || featureParty.rows() != ids.size() || labels.length != ids.size()) {
      throw new IllegalArgumentException("ids, both parties' rows and labels must have one entry per row; got " + ids.size()
          + ", " + labelParty.rows() + ", " + featureParty.rows() + ", " + labels.length);
    }
  }

  /**
   * The two parties' tables when each holds a random {@code overlap} share of the rows, chosen independently
   * (so the PSI has something to do): {@code [label party, feature party]}.
   */
  public PartyTable[] parties(double overlap, RandomSource rng) {
    if (!(overlap > 0 && overlap <= 1)) {
      throw new IllegalArgumentException("overlap must be in (0, 1]. Provided value: " + overlap);
    }
    return new PartyTable[] {keep(labelParty, labels, overlap, rng.derive(1)), keep(featureParty, null, overlap, rng.derive(2))};
  }

  private PartyTable keep(ColumnBlock x, int[] y, double overlap, RandomSource rng) {
    List<Integer> rows = new ArrayList<>();
    for (int r = 0; r < ids.size(); r++) {
      if (overlap >= 1 || rng.nextDouble() < overlap) {
        rows.add(r);
      }
    }
    int[] index = rows.stream().mapToInt(Integer::intValue).toArray();
    List<String> keptIds = rows.stream().map(ids::get).toList();
    int[] keptY = y == null ? null : java.util.Arrays.stream(index).map(i -> y[i]).toArray();
    return new PartyTable(keptIds, x.select(index), keptY);
  }
}
