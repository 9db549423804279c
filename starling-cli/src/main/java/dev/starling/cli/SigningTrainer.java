package dev.starling.cli;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.ledger.ClientSignatures;
import dev.starling.ledger.Digests;
import dev.starling.ledger.SignatureAttachment;
import dev.starling.transport.grpc.client.Trainer;
import java.security.PrivateKey;

/**
 * A networked client's trainer that signs (round, SHA-256 of the update it sends) with the client's own
 * Ed25519 key and attaches the signature as {@link SignatureAttachment#KEY}, for a server whose ledger
 * records client-signed updates ({@code server --ledger-client-keys}). It wraps the outermost trainer, so it
 * signs exactly the parameters sent (uplink codecs, which send a decoded delta instead, are refused by the
 * server when clients sign).
 */
final class SigningTrainer implements Trainer {
  private final Trainer inner;
  private final PrivateKey key;

  private SigningTrainer(Trainer inner, PrivateKey key) {
    this.inner = inner;
    this.key = key;
  }

  static Trainer.Factory wrap(Trainer.Factory f, PrivateKey key) {
    return new Trainer.Factory() {
      @Override
      public Trainer create(String model, String strategy) {
        return new SigningTrainer(f.create(model, strategy), key);
      }

      @Override
      public Trainer create(String model, String strategy, String clientDp, boolean seededNoise) {
        return new SigningTrainer(f.create(model, strategy, clientDp, seededNoise), key);
      }
    };
  }

  @Override
  public TrainResult fit(ParameterSet global, TrainConfig config) {
    TrainResult r = inner.fit(global, config);
    byte[] sig = ClientSignatures.sign(key, config.round(), Digests.of(r.parameters()));
    return r.withAttachments(r.attachments().with(SignatureAttachment.KEY, SignatureAttachment.of(sig)));
  }

  @Override
  public EvalResult evaluate(ParameterSet global) {
    return inner.evaluate(global);
  }

  @Override
  public ParameterSet saveState() {
    return inner.saveState();
  }

  @Override
  public void restoreState(ParameterSet state) {
    inner.restoreState(state);
  }
}
