package dev.improv.server.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A studio's webhook endpoint on 127.0.0.1 for tests: checks every signature the way a receiver would (Standard
 * Webhooks), keeps the first copy of each id (dedupe), counts duplicates, can fail the first N requests, and can
 * go down and come back on the same port.
 */
public final class WebhookReceiver implements AutoCloseable {
    final byte[] key;
    private final int failFirst;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger badSignatures = new AtomicInteger();
    private final AtomicInteger duplicates = new AtomicInteger();
    /** First copy of each delivery by webhook-id, in arrival order. Guarded by this. */
    private final Map<String, JsonNode> byId = new LinkedHashMap<>();
    private HttpServer server;
    private int port;

    public WebhookReceiver(byte[] key, int failFirst) throws IOException {
        this.key = key;
        this.failFirst = failFirst;
        start(0);
    }

    private void start(int onPort) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", onPort), 64);
        server.createContext("/hooks", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String id = exchange.getRequestHeaders().getFirst("webhook-id");
            String ts = exchange.getRequestHeaders().getFirst("webhook-timestamp");
            String sig = exchange.getRequestHeaders().getFirst("webhook-signature");
            int n = requests.incrementAndGet();
            int status;
            if (n <= failFirst) {
                status = 503;
            } else if (id == null || ts == null || sig == null
                    || !sig.equals(WebhookSigner.signature(key, id, Long.parseLong(ts), body))
                    || Math.abs(System.currentTimeMillis() / 1000 - Long.parseLong(ts)) > 300) {
                badSignatures.incrementAndGet();
                status = 400;
            } else {
                JsonNode json = ProtocolCodec.mapper().readTree(body);
                synchronized (this) {
                    if (byId.putIfAbsent(id, json) != null) {
                        duplicates.incrementAndGet();
                    }
                }
                status = 204;
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.start();
        port = server.getAddress().getPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port + "/hooks";
    }

    void goDown() {
        server.stop(0);
    }

    void comeBack() throws IOException {
        start(port);
    }

    public synchronized List<JsonNode> received() {
        return new ArrayList<>(byId.values());
    }

    public int badSignatures() {
        return badSignatures.get();
    }

    int duplicates() {
        return duplicates.get();
    }

    int requests() {
        return requests.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
