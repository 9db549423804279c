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
  void contributionWithoutALedgerIsBadUsage() {
    CliRun r = CliRun.of("simulate", "--contribution", "loo");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--contribution needs --ledger DIR");
  }
}
