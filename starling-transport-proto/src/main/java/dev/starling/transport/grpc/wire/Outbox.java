package dev.starling.transport.grpc.wire;

import io.grpc.stub.CallStreamObserver;
import java.util.Iterator;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The single writer of one gRPC stream. Messages and lazy message sequences (a model's chunks) are
 * queued and written by one thread that waits while the transport is not ready, so a large payload is
 * produced chunk by chunk at the speed the peer reads it instead of piling up in Netty's buffers.
 * Thread-safe: any thread may {@link #send}.
 *
 * @param <T> the stream's message type
 */
public final class Outbox<T> implements AutoCloseable {
  private final CallStreamObserver<T> stream;
  private final Function<T, Integer> sizeOf;
  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final AtomicLong bytes = new AtomicLong();
  private final Thread writer;
  private volatile Thread wakee; // the writer, for the on-ready handler (set before it starts)
  private volatile boolean closed;

  /**
   * Must be created before the stream starts (it installs the on-ready handler). The writer is a virtual
   * thread named {@code name}, so a server with thousands of streams holds thousands of cheap writers.
   */
  public Outbox(CallStreamObserver<T> stream, Function<T, Integer> sizeOf, String name) {
    this(stream, sizeOf, Thread.ofVirtual().name(name));
  }

  /**
   * As above, the writer made by {@code writerThread} (a client with its one stream uses a platform thread,
   * whose CPU time a profile or {@code bench transport} can tell apart from the server's virtual writers).
   */
  public Outbox(CallStreamObserver<T> stream, Function<T, Integer> sizeOf, Thread.Builder writerThread) {
    this.stream = stream;
    this.sizeOf = sizeOf;
    // the transport's thread only unparks the writer (no lock it could contend for); a wake-up that comes
    // before the writer parks is kept as the thread's permit, so none is lost
    stream.setOnReadyHandler(() -> {
      Thread w = wakee;
      if (w != null) {
        LockSupport.unpark(w);
      }
    });
    this.writer = writerThread.unstarted(this::drain);
    wakee = writer;
    writer.start();
  }

  /** Queues one message. */
  public void send(T message) {
    if (!closed) {
      queue.add(message);
    }
  }

  /** Queues a sequence produced lazily while writing. */
  public void sendAll(Iterator<T> messages) {
    if (!closed) {
      queue.add(messages);
    }
  }

  /** Queues a callback run by the writer thread after everything queued before it was written. */
  public void then(Runnable action) {
    if (!closed) {
      queue.add(action);
    }
  }

  /** Serialized bytes written so far (protobuf payloads, without HTTP/2 framing). */
  public long bytesWritten() {
    return bytes.get();
  }

  @SuppressWarnings("unchecked")
  private void drain() {
    try {
      while (!closed) {
        Object item = queue.poll(200, TimeUnit.MILLISECONDS);
        if (item == null) {
          continue;
        }
        if (item instanceof Iterator<?> it) {
          while (!closed && it.hasNext()) {
            write((T) it.next());
          }
        } else if (item instanceof Runnable r) {
          r.run();
        } else {
          write((T) item);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      closed = true; // the stream was cancelled under us; the reader side reports the failure
    }
  }

  private void write(T m) throws InterruptedException {
    while (!closed && !stream.isReady()) {
      LockSupport.parkNanos(this, 100_000_000L); // unparked by the on-ready handler (or closed, interrupted)
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
    if (closed) {
      return;
    }
    synchronized (stream) {
      stream.onNext(m);
    }
    bytes.addAndGet(sizeOf.apply(m));
  }

  /** Completes the stream after the queued messages, from the writer thread. */
  public void completeAfterQueued() {
    then(() -> {
      synchronized (stream) {
        stream.onCompleted();
      }
      closed = true;
    });
  }

  /** Stops writing; queued messages are dropped. */
  @Override
  public void close() {
    closed = true;
    queue.clear();
    writer.interrupt();
  }
}
