package dev.starling.transport.grpc.server;

import dev.starling.transport.grpc.proto.ServerMessage;
import io.grpc.stub.CallStreamObserver;

/** A server-to-client stream for tests that drive a {@link RemoteClient} directly: always ready, drops what it is sent. */
final class NullServerStream extends CallStreamObserver<ServerMessage> {
  @Override
  public boolean isReady() {
    return true;
  }

  @Override
  public void setOnReadyHandler(Runnable onReadyHandler) {}

  @Override
  public void disableAutoInboundFlowControl() {}

  @Override
  public void request(int count) {}

  @Override
  public void setMessageCompression(boolean enable) {}

  @Override
  public void onNext(ServerMessage value) {}

  @Override
  public void onError(Throwable t) {}

  @Override
  public void onCompleted() {}
}
