package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.random.RandomSource;
import dev.starling.vertical.data.PartyTable;
import dev.starling.vertical.link.GrpcLink;
import dev.starling.vertical.link.LinkEndpoints;
import dev.starling.vertical.link.PartyLink;
import dev.starling.vertical.psi.Psi;
import dev.starling.vertical.psi.PsiParty;
import dev.starling.vertical.splitnn.SplitNn;
import io.grpc.ManagedChannel;
import java.io.StringReader;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerticalCliTest {
  @TempDir
  Path dir;

  @Test
  void train_neitherListenNorConnect_exits2NamingBothFlags() throws Exception {
    Path data = Files.writeString(dir.resolve("a.csv"), "id,x,y\n1,0.5,1\n");
    CliRun r = CliRun.of("vertical", "train", "--role", "label", "--model", "lr", "--data", data.toString(), "--label-column", "y");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--listen").contains("--connect");
  }

  @Test
  void train_featurePartyWithLabelColumn_exits2() throws Exception {
    Path data = Files.writeString(dir.resolve("b.csv"), "id,x\n1,0.5\n");
    CliRun r = CliRun.of("vertical", "train", "--role", "feature", "--model", "splitnn", "--data", data.toString(),
        "--label-column", "y", "--connect", "localhost:1");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("feature party holds no labels");
  }

  @Test
  void train_nonNumericCell_exits2NamingFileLineAndColumn() throws Exception {
    Path data = Files.writeString(dir.resolve("c.csv"), "id,x,y\n1,0.5,1\n2,abc,0\n");
    CliRun r = CliRun.of("vertical", "train", "--role", "label", "--model", "lr", "--data", data.toString(), "--label-column", "y",
        "--listen", "0");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("c.csv line 3 column 'x'").contains("not a number");
  }

  @Test
  void simulate_badModel_exits2() {
    CliRun r = CliRun.of("vertical", "simulate", "--model", "gbdt");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--model must be lr, splitnn or all");
  }

  @Test
  void simulate_syntheticSplitNn_printsTheTableWithBaselines() {
    CliRun r = CliRun.of("vertical", "simulate", "--dataset", "synthetic:200", "--model", "splitnn", "--epochs", "2");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("PSI: label party").contains("centralised MLP, all columns").contains("label party alone MLP")
        .contains("SplitNN");
  }

  @Test
  void train_labelPartyOverGrpc_runsPsiThenSplitNnAndPrintsTestMetrics() throws Exception {
    StringBuilder a = new StringBuilder("id,a0,a1,y\n");
    StringBuilder b = new StringBuilder("id,b0,b1,b2\n");
    RandomSource rng = RandomSource.seeded(4);
    for (int i = 0; i < 240; i++) {
      double a0 = rng.nextGaussian();
      double a1 = rng.nextGaussian();
      double b0 = rng.nextGaussian();
      int y = a0 - 2 * b0 + 0.3 * rng.nextGaussian() > 0 ? 1 : 0;
      if (i < 220) {
        a.append("r").append(i).append(',').append(a0).append(',').append(a1).append(',').append(y).append('\n');
      }
      if (i >= 20) {
        b.append("r").append(i).append(',').append(b0).append(',').append(rng.nextGaussian()).append(',').append(rng.nextGaussian())
            .append('\n');
      }
    }
    Path labelCsv = Files.writeString(dir.resolve("label.csv"), a);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    PartyTable table = PartyTable.parse(new StringReader(b.toString()), "feature.csv", "id", Optional.empty());
    ManagedChannel ch = LinkEndpoints.channel("127.0.0.1", port, Optional.empty());
    CompletableFuture<List<String>> feature = CompletableFuture.supplyAsync(() -> {
      try (PartyLink link = GrpcLink.connect(ch, "tok", Duration.ofSeconds(60))) {
        List<String> common = Psi.follow(new PsiParty("feature", table.ids(), RandomSource.seeded(1)), link);
        SplitNn.feature(table.align(common).standardized().x(), new int[] {4}, link, RandomSource.seeded(2));
        return common;
      }
    });
    try {
      CliRun r = CliRun.of("vertical", "train", "--role", "label", "--model", "splitnn", "--data", labelCsv.toString(),
          "--label-column", "y", "--listen", String.valueOf(port), "--token", "tok", "--epochs", "3", "--batch", "20",
          "--timeout", "60");
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(feature.get(60, TimeUnit.SECONDS)).hasSize(200);
      assertThat(r.out()).contains("PSI: 220 own rows, 200 common").contains("test rows 40: accuracy");
    } finally {
      ch.shutdownNow();
    }
  }
}
