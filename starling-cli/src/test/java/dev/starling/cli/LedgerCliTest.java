package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerCliTest {
  @TempDir
  Path dir;

  @Test
  void simulateWritesAVerifiableLedgerWithRewardsAndVerifyNamesATamperedBlock() throws Exception {
    Path ledger = dir.resolve("ledger");
    CliRun sim = CliRun.of("simulate", "--rounds", "2", "--clients", "4", "--ledger", ledger.toString(),
        "--contribution", "exact", "--reward-budget", "10", "--threads", "1", "-q");
    assertThat(sim.code()).as(sim.err()).isZero();
    assertThat(sim.out()).contains("ledger    2 blocks in");

    CliRun ok = CliRun.of("ledger", "verify", ledger.toString(), "--key", ledger.resolve("aggregator.key").toString());
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.lastLine()).startsWith("ok: 2 blocks, rounds 1..2, 4 accepted updates");

    CliRun json = CliRun.of("ledger", "show", ledger.toString(), "--json");
    assertThat(json.code()).isZero();
    assertThat(json.out().strip().split("\\R")).hasSize(2);
    assertThat(json.out()).contains("\"contribution_method\":\"exact\"").contains("\"reward\":");

    Path file = ledger.resolve("ledger.bin");
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length - 5] ^= 1; // inside the last block's signature
    Files.write(file, bytes);
    CliRun bad = CliRun.of("ledger", "verify", ledger.toString());
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("block 1, field record_crc");
  }

  @Test
  void verifyModelsReaggregatesEachRoundFromTheKeptUpdatesAndNamesAMissingOne() throws Exception {
    Path ledger = dir.resolve("ledger");
    Path models = dir.resolve("models");
    CliRun sim = CliRun.of("simulate", "--rounds", "2", "--clients", "4", "--ledger", ledger.toString(),
        "--ledger-keep-updates", models.toString(), "--threads", "1", "-q");
    assertThat(sim.code()).as(sim.err()).isZero();
    CliRun ok = CliRun.of("ledger", "verify", ledger.toString(), "--models", models.toString());
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.lastLine()).isEqualTo("models ok: 2 rounds re-aggregated (FedAvg) from the kept updates");

    CliRun json = CliRun.of("ledger", "show", ledger.toString(), "--json");
    String firstUpdate = json.out().split("\"update_hash\":\"")[1].substring(0, 64);
    Files.delete(models.resolve(firstUpdate + ".model"));
    CliRun bad = CliRun.of("ledger", "verify", ledger.toString(), "--models", models.toString());
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).contains("block 0, field participants[0].update_hash: client ").contains(firstUpdate + ".model is not in");
  }

  @Test
  void contributionWithoutALedgerIsBadUsage() {
    CliRun r = CliRun.of("simulate", "--contribution", "loo");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--contribution needs --ledger DIR");
  }

  @Test
  void simulateInAnAsynchronousModeWithALedgerIsBadUsage_beforeAnyTraining() {
    // the asynchronous driver never reports accepted updates: the ledger would have stayed silently empty
    for (String mode : new String[] {"async", "buffered:2", "semi-sync:5"}) {
      Path ledger = dir.resolve("async-" + mode.replace(':', '-'));
      CliRun r = CliRun.of("simulate", "--rounds", "2", "--clients", "4", "--ledger", ledger.toString(), "--sync", mode);
      assertThat(r.code()).as(mode + ": " + r.err()).isEqualTo(2);
      assertThat(r.err()).contains("--ledger cannot be combined with --sync " + mode)
          .contains("asynchronous modes do not have");
      assertThat(ledger.resolve("ledger.bin")).doesNotExist(); // refused before the ledger is opened
    }
  }

  @Test
  void replicatedLedgerFlagsAreCheckedBeforeAnyTraining() {
    CliRun noKey = CliRun.of("simulate", "--ledger", "raft://a=127.0.0.1:1");
    assertThat(noKey.code()).isEqualTo(2);
    assertThat(noKey.err()).contains("--ledger raft://... needs --ledger-key FILE");
    CliRun badPeers = CliRun.of("simulate", "--ledger", "raft://a=127.0.0.1", "--ledger-key", dir.resolve("k").toString());
    assertThat(badPeers.code()).isEqualTo(2);
    assertThat(badPeers.err()).contains("ledger node 'a=127.0.0.1': expected id=host:port");
    CliRun notMember = CliRun.of("ledger", "node", "--id", "z", "--peers", "a=127.0.0.1:1,b=127.0.0.1:2", "--dir",
        dir.resolve("z").toString());
    assertThat(notMember.code()).isEqualTo(2);
    assertThat(notMember.err()).contains("--id z is not in --peers a=127.0.0.1:1,b=127.0.0.1:2");
  }

  @Test
  @org.junit.jupiter.api.Timeout(value = 120, unit = java.util.concurrent.TimeUnit.SECONDS)
  void networkedServerWritesAVerifiableLedgerWithScores() throws Exception {
    Path ledger = dir.resolve("server-ledger");
    Path cfg = Files.writeString(dir.resolve("run.properties"), String.join("\n", "model = logreg", "dataset = digits",
        "standardize = off", "rounds = 2", "min-clients = 2", "min-successful-clients = 2", "round-timeout = 30s",
        "availability-timeout = 60s", "seed = 3") + "\n");
    Path port = dir.resolve("port");
    int[] code = {-1};
    Thread server = new Thread(() -> code[0] = Main.execute("server", "--host", "127.0.0.1", "--port", "0", "--port-file",
        port.toString(), "--config", cfg.toString(), "--ledger", ledger.toString(), "--contribution", "loo"));
    server.start();
    long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(40);
    while (!Files.exists(port)) {
      assertThat(System.nanoTime()).as("server never wrote its port").isLessThan(end);
      Thread.sleep(50);
    }
    String address = "127.0.0.1:" + Files.readString(port).strip();
    for (String[] c : new String[][] {{"c0", "0/2"}, {"c1", "1/2"}}) {
      Thread t = new Thread(() -> Main.execute("client", "--server", address, "--id", c[0], "--data", "digits", "--seed",
          "3", "--shard", c[1], "--standardize", "off", "--give-up-after", "20s"));
      t.setDaemon(true);
      t.start();
    }
    server.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(90));
    assertThat(server.isAlive()).isFalse();
    assertThat(code[0]).isZero();

    CliRun ok = CliRun.of("ledger", "verify", ledger.toString(), "--key", ledger.resolve("aggregator.key").toString());
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.lastLine()).startsWith("ok: 2 blocks, rounds 1..2, 4 accepted updates");
    CliRun json = CliRun.of("ledger", "show", ledger.toString(), "--json");
    assertThat(json.out()).contains("\"contribution_method\":\"loo\"").contains("\"client\":\"c0\"")
        .contains("\"client\":\"c1\"");
  }

  @Test
  @org.junit.jupiter.api.Timeout(value = 120, unit = java.util.concurrent.TimeUnit.SECONDS)
  void clientsSignTheirUpdatesOverGrpcAndAForgedSignatureIsRefused() throws Exception {
    Path keys = Files.createDirectories(dir.resolve("keys"));
    java.security.SecureRandom rng = new java.security.SecureRandom();
    java.util.Map<String, Path> privateKeys = new java.util.HashMap<>();
    for (String id : new String[] {"c0", "c1", "mallory"}) {
      java.security.KeyPair kp = dev.starling.privacy.secagg.SecAggAuth.newIdentity(rng);
      privateKeys.put(id, Files.writeString(dir.resolve(id + ".key"), dev.starling.privacy.secagg.SecAggAuth.toPem(kp.getPrivate())));
      if (!id.equals("mallory")) {
        Files.writeString(keys.resolve(id + ".pub"), dev.starling.privacy.secagg.SecAggAuth.toPem(kp.getPublic()));
      }
    }
    Path ledger = dir.resolve("signed-ledger");
    Path cfg = Files.writeString(dir.resolve("run.properties"), String.join("\n", "model = logreg", "dataset = digits",
        "standardize = off", "rounds = 2", "min-clients = 2", "min-successful-clients = 1", "round-timeout = 30s",
        "availability-timeout = 60s", "seed = 3") + "\n");
    Path port = dir.resolve("port");
    int[] code = {-1};
    Thread server = new Thread(() -> code[0] = Main.execute("server", "--host", "127.0.0.1", "--port", "0", "--port-file",
        port.toString(), "--config", cfg.toString(), "--ledger", ledger.toString(), "--ledger-client-keys", keys.toString()));
    server.start();
    long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(40);
    while (!Files.exists(port)) {
      assertThat(System.nanoTime()).as("server never wrote its port").isLessThan(end);
      Thread.sleep(50);
    }
    String address = "127.0.0.1:" + Files.readString(port).strip();
    // c1 signs with a key that is not its registered one: its updates must be refused, c0's recorded with its signature
    for (String[] c : new String[][] {{"c0", "0/2", "c0"}, {"c1", "1/2", "mallory"}}) {
      Thread t = new Thread(() -> Main.execute("client", "--server", address, "--id", c[0], "--data", "digits", "--seed",
          "3", "--shard", c[1], "--standardize", "off", "--give-up-after", "20s", "--ledger-key",
          privateKeys.get(c[2]).toString()));
      t.setDaemon(true);
      t.start();
    }
    server.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(90));
    assertThat(server.isAlive()).isFalse();
    assertThat(code[0]).isZero();

    CliRun ok = CliRun.of("ledger", "verify", ledger.toString());
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.lastLine()).startsWith("ok: 2 blocks, rounds 1..2, 2 accepted updates (2 client-signed)");
    CliRun json = CliRun.of("ledger", "show", ledger.toString(), "--json");
    String[] blocks = json.out().strip().split("\\R");
    assertThat(blocks).hasSize(2).allSatisfy(b -> assertThat(b)
        .contains("\"participants\":[{\"client\":\"c0\"").contains("\"signed\":true")
        .contains("{\"client\":\"c1\",\"code\":\"UNAUTHENTICATED\"")
        .contains("c1's signature of (round"));
  }

  @Test
  void clientKeysWithoutALedgerAreBadUsage() throws Exception {
    Path cfg = Files.writeString(dir.resolve("run.properties"), "model = logreg\ndataset = digits\nrounds = 1\n");
    CliRun noLedger = CliRun.of("server", "--port", "0", "--config", cfg.toString(), "--ledger-client-keys", dir.toString());
    assertThat(noLedger.code()).isEqualTo(2);
    assertThat(noLedger.err()).contains("--ledger-client-keys needs --ledger");
  }
}
