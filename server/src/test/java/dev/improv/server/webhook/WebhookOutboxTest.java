package dev.improv.server.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The outbox file: deliveries are handed out only once written, and come back after a restart until done. */
@Tag("integration")
class WebhookOutboxTest {
    static final WebhookEndpoint ALL = new WebhookEndpoint("all", URI.create("http://127.0.0.1:9/x"), new byte[32],
            EnumSet.allOf(WebhookEventType.class));
    static final WebhookEndpoint JOINS = new WebhookEndpoint("joins", URI.create("http://127.0.0.1:9/y"), new byte[32],
            EnumSet.of(WebhookEventType.PARTICIPANT_JOINED));
    static final WebhookOutbox.EndpointsListener NO_LISTENER = (all, added, removed) -> { };
    @TempDir
    Path dir;

    WebhookOutbox open(List<WebhookEndpoint> endpoints, int maxPending) throws Exception {
        return new WebhookOutbox(dir, endpoints, maxPending, Clock.systemUTC(),
                new WebhookMetrics(new SimpleMeterRegistry()));
    }

    static WebhookOutbox.NewEvent event(WebhookEventType type, String id) {
        return new WebhookOutbox.NewEvent(type, id, ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void pendingDeliveriesSurviveARestartAndDoneOnesDoNot() throws Exception {
        List<Delivery> dispatched = new CopyOnWriteArrayList<>();
        WebhookOutbox outbox = open(List.of(ALL, JOINS), 100);
        assertTrue(outbox.start(dispatched::addAll, NO_LISTENER).isEmpty());
        outbox.offer(event(WebhookEventType.ROOM_STARTED, "e1"));
        outbox.offer(event(WebhookEventType.PARTICIPANT_JOINED, "e2"));
        outbox.offer(event(WebhookEventType.SCENE_STARTED, "e3"));
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> dispatched.size() == 4); // e2 goes to both
        Delivery e1 = dispatched.get(0);
        outbox.offer(new WebhookOutbox.Finished(e1, true));
        outbox.close();
        // a crash in the middle of the next line
        Files.writeString(dir.resolve("outbox.jsonl"), "{\"op\":\"done\",\"endpo", StandardOpenOption.APPEND);

        WebhookOutbox again = open(List.of(ALL, JOINS), 100);
        List<Delivery> recovered = again.start(d -> { }, NO_LISTENER);
        assertEquals(List.of("all e2", "joins e2", "all e3"), recovered.stream().map(Delivery::key).toList());
        assertEquals("{\"id\":\"e2\"}", new String(recovered.get(0).body(), StandardCharsets.UTF_8));
        again.close();
        assertFalse(Files.readString(dir.resolve("outbox.jsonl")).contains("\"event\":\"e1\""),
                "the restart rewrote the file without finished deliveries");
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("outbox.jsonl"))), "owner-only, like the data dir");
    }

    @Test
    void anEndpointRemovedFromTheConfigurationLosesItsPendingDeliveries() throws Exception {
        WebhookOutbox outbox = open(List.of(ALL, JOINS), 100);
        List<Delivery> dispatched = new CopyOnWriteArrayList<>();
        outbox.start(dispatched::addAll, NO_LISTENER);
        outbox.offer(event(WebhookEventType.PARTICIPANT_JOINED, "e1"));
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> dispatched.size() == 2);
        outbox.close();
        WebhookOutbox again = open(List.of(ALL), 100);
        assertEquals(List.of("all e1"), again.start(d -> { }, NO_LISTENER).stream().map(Delivery::key).toList());
        again.close();
    }

    @Test
    void theOutboxIsBounded() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        WebhookOutbox outbox = new WebhookOutbox(dir, List.of(ALL), 2, Clock.systemUTC(), new WebhookMetrics(registry));
        List<Delivery> dispatched = new CopyOnWriteArrayList<>();
        outbox.start(dispatched::addAll, NO_LISTENER);
        for (int i = 0; i < 5; i++) {
            outbox.offer(event(WebhookEventType.ROOM_STARTED, "e" + i));
        }
        Awaitility.await().atMost(30, TimeUnit.SECONDS)
                .until(() -> registry.counter("improv_webhook_events_dropped").count() == 3);
        assertEquals(2, dispatched.size());
        outbox.close();
    }

    static WebhookEndpoint registered(String id) {
        return WebhookEndpoint.of(id, "http://127.0.0.1:9/" + id, List.of("*"), WebhookEndpoint.newSecret(), false);
    }

    static WebhookEndpoint await(java.util.concurrent.CompletableFuture<WebhookEndpoint> done) throws Exception {
        return done.get(30, TimeUnit.SECONDS);
    }

    @Test
    void anEndpointRegisteredThroughTheApiGetsTheEventsAfterItAndIsKeptAcrossARestart() throws Exception {
        List<Delivery> dispatched = new CopyOnWriteArrayList<>();
        List<String> changes = new CopyOnWriteArrayList<>();
        WebhookOutbox outbox = open(List.of(JOINS), 100);
        outbox.start(dispatched::addAll, (all, added, removed) -> changes.add(
                all.stream().map(WebhookEndpoint::id).toList() + " +" + (added == null ? "" : added.id())));
        outbox.offer(event(WebhookEventType.ROOM_STARTED, "before"));
        java.util.concurrent.CompletableFuture<WebhookEndpoint> done = new java.util.concurrent.CompletableFuture<>();
        outbox.offer(new WebhookOutbox.Register(registered("studio"), done));
        assertEquals("studio", await(done).id());
        assertTrue(Files.readString(dir.resolve("endpoints.json")).contains("\"studio\""), "durable before the answer");
        assertEquals(List.of("[joins, studio] +studio"), changes);
        outbox.offer(event(WebhookEventType.ROOM_STARTED, "after"));
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> dispatched.size() == 1);
        assertEquals("studio after", dispatched.get(0).key(), "nothing from before the registration");

        java.util.concurrent.CompletableFuture<WebhookEndpoint> twice = new java.util.concurrent.CompletableFuture<>();
        outbox.offer(new WebhookOutbox.Register(registered("studio"), twice));
        java.util.concurrent.ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> await(twice));
        assertEquals(WebhookOutbox.Refused.Why.EXISTS, ((WebhookOutbox.Refused) refused.getCause()).why);
        outbox.close();
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("endpoints.json"))), "it holds the secret: owner-only");

        WebhookOutbox again = open(List.of(JOINS), 100);
        assertEquals(List.of("joins", "studio"), again.endpointsAtStart().stream().map(WebhookEndpoint::id).toList());
        assertFalse(again.endpointsAtStart().get(1).fromFile());
        assertEquals(List.of("studio after"), again.start(d -> { }, NO_LISTENER).stream().map(Delivery::key).toList());
        again.close();
    }

    @Test
    void removingARegisteredEndpointDropsItsPendingDeliveriesAndTheFilesEndpointsStay() throws Exception {
        List<Delivery> dispatched = new CopyOnWriteArrayList<>();
        WebhookOutbox outbox = open(List.of(JOINS), 100);
        outbox.start(dispatched::addAll, NO_LISTENER);
        java.util.concurrent.CompletableFuture<WebhookEndpoint> added = new java.util.concurrent.CompletableFuture<>();
        outbox.offer(new WebhookOutbox.Register(registered("studio"), added));
        await(added);
        outbox.offer(event(WebhookEventType.PARTICIPANT_JOINED, "e1"));
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> dispatched.size() == 2);

        java.util.concurrent.CompletableFuture<WebhookEndpoint> fromFile = new java.util.concurrent.CompletableFuture<>();
        outbox.offer(new WebhookOutbox.Remove("joins", fromFile));
        java.util.concurrent.ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> await(fromFile));
        assertEquals(WebhookOutbox.Refused.Why.FROM_FILE, ((WebhookOutbox.Refused) refused.getCause()).why);
        java.util.concurrent.CompletableFuture<WebhookEndpoint> gone = new java.util.concurrent.CompletableFuture<>();
        outbox.offer(new WebhookOutbox.Remove("studio", gone));
        assertEquals("studio", await(gone).id());
        java.util.concurrent.CompletableFuture<WebhookEndpoint> again = new java.util.concurrent.CompletableFuture<>();
        outbox.offer(new WebhookOutbox.Remove("studio", again));
        refused = org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                () -> await(again));
        assertEquals(WebhookOutbox.Refused.Why.NOT_FOUND, ((WebhookOutbox.Refused) refused.getCause()).why);
        outbox.close();

        WebhookOutbox reopened = open(List.of(JOINS), 100);
        assertEquals(List.of("joins"), reopened.endpointsAtStart().stream().map(WebhookEndpoint::id).toList());
        assertEquals(List.of("joins e1"), reopened.start(d -> { }, NO_LISTENER).stream().map(Delivery::key).toList(),
                "the removed endpoint's delivery is gone, the file endpoint's is pending");
        reopened.close();
    }
}
