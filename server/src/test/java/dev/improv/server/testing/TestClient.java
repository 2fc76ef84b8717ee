package dev.improv.server.testing;

import org.awaitility.Awaitility;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ClientMessage;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A real WebSocket client (the JDK's) that records every message it receives, for end-to-end tests. */
public final class TestClient implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    /** System.nanoTime() of each message in {@link #received}, same index (for latency checks in tests). */
    private final List<Long> receivedAt = new CopyOnWriteArrayList<>();
    private final CompletableFuture<int[]> closed = new CompletableFuture<>();
    private volatile String closeReason;
    private final WebSocket socket;

    private TestClient(String url, String origin) {
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(30));
        if (origin != null) {
            builder.header("Origin", origin);
        }
        this.socket = builder.buildAsync(URI.create(url), new Listener()).join();
    }

    public static TestClient connect(String url) {
        return new TestClient(url, null);
    }

    public static TestClient connect(String url, String origin) {
        return new TestClient(url, origin);
    }

    /** Connects and waits for the welcome. */
    public static TestClient join(String url) {
        TestClient c = connect(url);
        c.await("welcome");
        return c;
    }

    public TestClient send(String json) {
        socket.sendText(json, true).join();
        return this;
    }

    public TestClient send(ClientMessage message) {
        return send(ProtocolCodec.encodeClient(message));
    }

    public List<JsonNode> received() {
        return List.copyOf(received);
    }

    public List<JsonNode> ofType(String type) {
        return received.stream().filter(m -> m.path("type").asText().equals(type)).toList();
    }

    /** Waits (bounded) for a message of this type and returns the first one. */
    public JsonNode await(String type) {
        return await(m -> m.path("type").asText().equals(type), "a '" + type + "' message");
    }

    public JsonNode await(Predicate<JsonNode> match, String what) {
        return await(match, what, 10);
    }

    /** As {@link #await(Predicate, String)}, for what the server computes before it answers. */
    public JsonNode await(Predicate<JsonNode> match, String what, long seconds) {
        Awaitility.await().atMost(seconds, TimeUnit.SECONDS).alias(what).until(() -> received.stream().anyMatch(match));
        return received.stream().filter(match).findFirst().orElseThrow();
    }

    /** Waits (bounded) for a matching message; returns its System.nanoTime() of arrival. */
    public long awaitArrival(Predicate<JsonNode> match, String what) {
        await(match, what);
        synchronized (received) {
            for (int i = 0; i < received.size(); i++) {
                if (match.test(received.get(i))) {
                    return receivedAt.get(i);
                }
            }
        }
        throw new IllegalStateException("no " + what);
    }

    /** Waits for the server to close; returns the close code. */
    public int awaitClose() {
        Awaitility.await().atMost(10, TimeUnit.SECONDS).alias("close").until(closed::isDone);
        return closed.join()[0];
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    public String closeReason() {
        return closeReason;
    }

    /** "open", or how the connection ended (code and reason): for failure messages. */
    public String state() {
        return closed.isDone() ? "closed " + closed.join()[0] + " " + closeReason : "open";
    }

    public String welcomeId() {
        return await("welcome").path("you").path("id").asText();
    }

    /** Drops the TCP connection without a close handshake (a network cut). */
    public void abort() {
        socket.abort();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            try {
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(2, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // already gone
            }
        }
        socket.abort();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    long at = System.nanoTime();
                    JsonNode message = ProtocolCodec.mapper().readTree(partial.toString());
                    synchronized (received) {
                        receivedAt.add(at);
                        received.add(message);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closeReason = reason;
            closed.complete(new int[] {statusCode});
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete(new int[] {-1});
        }
    }
}
