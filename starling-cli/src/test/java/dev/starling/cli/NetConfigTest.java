package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetConfigTest {
  @TempDir
  Path dir;

  @Test
  void readsTypedValuesWithDefaults() throws Exception {
    Path f = dir.resolve("run.properties");
    Files.writeString(f, "# comment\nrounds = 7      # the budget\nlr = 0.05\nround-timeout = 1500ms\nheartbeat = 2s\navailability-timeout = 3m\n");
    NetConfig c = new NetConfig(f);
    assertThat(c.integer("rounds", 1)).isEqualTo(7);
    assertThat(c.real("lr", 1)).isEqualTo(0.05);
    assertThat(c.duration("round-timeout", Duration.ZERO)).isEqualTo(Duration.ofMillis(1500));
    assertThat(c.duration("heartbeat", Duration.ZERO)).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.duration("availability-timeout", Duration.ZERO)).isEqualTo(Duration.ofMinutes(3));
    assertThat(c.str("model", "mlp:32")).isEqualTo("mlp:32");
  }

  @Test
  void theRunSpecCarriesTheWireCodecsTheServerUses() throws Exception {
    Path f = dir.resolve("run.properties");
    Files.writeString(f, "uplink-codec = topk:0.1+int8\ndownlink-codec = fp16\nerror-feedback = true\n");
    dev.starling.run.RunSpec spec = new NetConfig(f).runSpec();
    assertThat(spec.compression().uplink()).isEqualTo("topk:0.1+int8");
    assertThat(spec.compression().downlink()).isEqualTo("fp16");
    assertThat(spec.compression().errorFeedback()).isTrue();
    assertThat(dev.starling.run.NetworkedRun.wireCompression(spec).active()).isTrue();

    Files.writeString(f, "rounds = 2\n");
    spec = new NetConfig(f).runSpec();
    assertThat(spec.compression()).isEqualTo(dev.starling.run.RunSpec.Compression.none());
    assertThat(dev.starling.run.NetworkedRun.wireCompression(spec).active()).isFalse();
  }

  @Test
  void unknownKeyIsAnErrorNamingIt() throws Exception {
    Path f = dir.resolve("run.properties");
    Files.writeString(f, "rounds = 7\nround-timout = 5s\n");
    assertThatThrownBy(() -> new NetConfig(f)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("round-timout").hasMessageContaining("known keys");
  }

  @Test
  void badValuesNameTheKeyAndTheValue() throws Exception {
    Path f = dir.resolve("run.properties");
    Files.writeString(f, "rounds = seven\nheartbeat = soon\n");
    NetConfig c = new NetConfig(f);
    assertThatThrownBy(() -> c.integer("rounds", 1)).hasMessageContaining("'rounds' must be an integer")
        .hasMessageContaining("seven");
    assertThatThrownBy(() -> c.duration("heartbeat", Duration.ZERO)).hasMessageContaining("heartbeat")
        .hasMessageContaining("soon");
  }

  @Test
  void chunkValuesBeyondGrpcsMessageLimitIsRefusedNamingTheKeyAndTheLimit() throws Exception {
    Path f = dir.resolve("run.properties");
    Files.writeString(f, "chunk-values = 2000000\nupload-idle-timeout = 45s\nhello-timeout = 5s\n");
    NetConfig c = new NetConfig(f);
    int max = dev.starling.transport.grpc.wire.Payloads.MAX_CHUNK_VALUES;
    assertThatThrownBy(() -> c.integerIn("chunk-values", 1, 1, max, "a chunk message must fit gRPC's 4 MiB message limit"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("run.properties: 'chunk-values' must be an integer in [1, " + max + "]")
        .hasMessageContaining("4 MiB").hasMessageContaining("Provided value: 2000000");
    assertThat(c.duration("upload-idle-timeout", Duration.ZERO)).isEqualTo(Duration.ofSeconds(45));
    assertThat(c.duration("hello-timeout", Duration.ZERO)).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void serverRefusesAMalformedTokenFileWithTheLineNumber() throws Exception {
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, "# id token\nc1 abc\nc2\n");
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    java.io.PrintStream old = System.err;
    int code;
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      code = Main.execute("server", "--port", "0", "--host", "127.0.0.1", "--tokens", tokens.toString(), "--config",
          Files.writeString(dir.resolve("c.properties"), "model = logreg\n").toString());
    } finally {
      System.setErr(old);
    }
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("line 3").contains("CLIENT_ID TOKEN");
  }

  private int server(Path config, java.io.ByteArrayOutputStream err) {
    java.io.PrintStream old = System.err;
    System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    try {
      return Main.execute("server", "--port", "0", "--host", "127.0.0.1", "--config", config.toString());
    } finally {
      System.setErr(old);
    }
  }

  @Test
  void secureAggregationRefusesARobustRuleBeforeListening() throws Exception {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int code = server(Files.writeString(dir.resolve("s.properties"), "model = logreg\nstrategy = median\nsecagg = 0.3\n"), err);
    assertThat(code).isEqualTo(2); // bad usage, refused before listening
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("secure aggregation cannot run")
        .contains("CoordinateMedian").contains("individual update");
  }

  @Test
  void malformedSecAggValueNamesTheKey() throws Exception {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int code = server(Files.writeString(dir.resolve("s.properties"), "model = logreg\nsecagg = lots\n"), err);
    assertThat(code).isNotZero();
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("'secagg' must be DROPOUT[,MAXABS[,NEIGHBOURS]]")
        .contains("lots");
    err.reset();
    code = server(Files.writeString(dir.resolve("t.properties"), "model = logreg\nsecagg = 0.7\n"), err);
    assertThat(code).isNotZero();
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("dropout tolerance").contains("0.7");
  }

  @Test
  void serverRefusesChunkValuesBeyondGrpcsMessageLimitBeforeListening() throws Exception {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int code = server(Files.writeString(dir.resolve("s.properties"), "model = flat:100\nchunk-values = 2000000\n"), err);
    assertThat(code).isNotZero();
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("'chunk-values' must be an integer in [1, "
        + dev.starling.transport.grpc.wire.Payloads.MAX_CHUNK_VALUES + "]").contains("4 MiB").contains("2000000");
  }

  @Test
  void plateau_stopsTheServerWhenTheTrainingLossStallsAsSimulateDoes(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path f = dir.resolve("plateau.properties");
    Files.writeString(f, "plateau = 2\n");
    java.util.List<dev.starling.server.StopCondition> stops = serverStops(new NetConfig(f));
    assertThat(stops).hasSize(1);
    java.util.List<dev.starling.server.RoundRecord> h = new java.util.ArrayList<>();
    double[] losses = {1.0, 0.5, 0.49995, 0.49999};
    java.util.List<String> verdicts = new java.util.ArrayList<>();
    for (int r = 1; r <= losses.length; r++) {
      h.add(new dev.starling.server.RoundRecord(r, dev.starling.core.metrics.Metrics.of("train_loss", losses[r - 1]), 2, 2,
          java.util.List.of(), 0, 0, 0, java.util.List.of()));
      verdicts.add(stops.get(0).check(h).orElse("go on"));
    }
    // round 3 improves by only 5e-5 (< 1e-4), round 4 not at all: stop after round 4
    assertThat(verdicts).containsExactly("go on", "go on", "go on",
        "train_loss plateaued: no improvement > 1.0E-4 for 2 rounds");

    Files.writeString(f, "plateau = 0\n");
    assertThatThrownBy(() -> serverStops(new NetConfig(f))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("plateau");
  }

  private static java.util.List<dev.starling.server.StopCondition> serverStops(NetConfig c) {
    dev.starling.run.RunSpec spec = c.runSpec();
    return dev.starling.run.RunAssembler.assemble(spec, dev.starling.run.RunAssembler.Target.SERVER).stopConditions(spec.loop());
  }

  @Test
  void wireCodecKeysAreCheckedBeforeListening() throws Exception {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int code = server(Files.writeString(dir.resolve("a.properties"), "model = flat:100\nuplink-codec = int9\n"), err);
    assertThat(code).isNotZero();
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("config 'uplink-codec'").contains("int9");
    err.reset();
    code = server(Files.writeString(dir.resolve("b.properties"), "model = flat:100\nerror-feedback = true\n"), err);
    assertThat(code).isNotZero();
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("'error-feedback = true' needs a lossy 'uplink-codec'");
    err.reset();
    code = server(Files.writeString(dir.resolve("c.properties"), "model = flat:100\nuplink-codec = int8\nsecagg = 0.3\n"), err);
    assertThat(code).isNotZero();
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("cannot be combined with 'secagg'");
  }

  @Test
  void secAggPlusNeighboursMustBeEvenNamingTheKey() throws Exception {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int code = server(Files.writeString(dir.resolve("n.properties"), "model = flat:100\nsecagg = 0.3,8,3\n"), err);
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("n.properties: 'secagg'").contains("even")
        .contains("3");
  }

  @Test
  void subModelKeysWithoutSubmodel_orWithAnUplinkCodec_areBadUsageNamingTheKey() throws Exception {
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int code = server(Files.writeString(dir.resolve("k.properties"), "model = mlp:32\nkeep = 0.5\n"), err);
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("'keep'").contains("only used with 'submodel");
    err.reset();
    code = server(Files.writeString(dir.resolve("u.properties"), "model = mlp:32\nsubmodel = fisher\nuplink-codec = int8\n"),
        err);
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("'uplink-codec'").contains("'submodel'");
  }
}
