package dev.starling.transport.grpc.server;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.ManagedChannelProvider;
import io.grpc.ManagedChannelRegistry;
import io.grpc.okhttp.OkHttpChannelProvider;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes the clients of a test class dial over OkHttp, the edge client's only transport (starling-client-runtime),
 * although grpc-netty-shaded, which gRPC prefers, is on this module's classpath for the server. Counts the
 * channels it built, so a test can check that OkHttp really carried them.
 */
final class PreferOkHttp extends ManagedChannelProvider {
  private final OkHttpChannelProvider okhttp = new OkHttpChannelProvider();
  private final AtomicInteger channels = new AtomicInteger();

  static PreferOkHttp install() {
    PreferOkHttp p = new PreferOkHttp();
    ManagedChannelRegistry.getDefaultRegistry().register(p);
    return p;
  }

  void uninstall() {
    ManagedChannelRegistry.getDefaultRegistry().deregister(this);
  }

  int channels() {
    return channels.get();
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    return 10; // above Netty's 5
  }

  @Override
  protected ManagedChannelBuilder<?> builderForAddress(String name, int port) {
    channels.incrementAndGet();
    return okhttp.builderForAddress(name, port);
  }

  @Override
  protected ManagedChannelBuilder<?> builderForTarget(String target) {
    channels.incrementAndGet();
    return okhttp.builderForTarget(target);
  }

  @Override
  protected NewChannelBuilderResult newChannelBuilder(String target, ChannelCredentials creds) {
    channels.incrementAndGet();
    return okhttp.newChannelBuilder(target, creds);
  }

  @Override
  protected Collection<Class<? extends SocketAddress>> getSupportedSocketAddressTypes() {
    return List.of(InetSocketAddress.class);
  }
}
