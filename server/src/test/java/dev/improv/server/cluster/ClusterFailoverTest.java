package dev.improv.server.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.eventlog.SessionRecords;
import dev.improv.server.eventlog.WalRecord;
import dev.improv.server.match.LobbyFact;
import dev.improv.server.match.PoolSnapshot;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.KillableServer;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster with real processes: a 3-node NATS JetStream cluster and two server nodes, each in its own JVM.
 * Members of one room sit on both nodes; the owner is killed (SIGKILL) mid-scene, or paused (SIGSTOP) past its
 * lease and resumed; a NATS server is killed; the room's stream is read back and checked: every acknowledged event in it, seqs in order
 * with no gap but the one a takeover declares, no seq twice, nothing of a fenced node after the fence.
 */
@Tag("integration")
class ClusterFailoverTest {
    private static final String LEASE_MS = "2000";

    @TempDir
    static Path dir;
    private static NatsClusterRig nats;
    private static Path secret;

    @BeforeAll
    static void natsCluster() throws Exception {
        nats = NatsClusterRig.start(dir, 3);
        secret = tokenSecret(dir);
    }

    /** A token secret file that every node of a test's cluster reads (links signed by one work on all). */
    static Path tokenSecret(Path dir) throws java.io.IOException {
        Path secret = dir.resolve("token-secret");
        byte[] key = new byte[32];
        ThreadLocalRandom.current().nextBytes(key);
        Files.writeString(secret, Base64.getEncoder().encodeToString(key));
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        return secret;
    }

    /**
     * A test that kills a NATS server and fails before starting it again left the next tests a cluster short:
     * every later node failed to start ("cannot watch the lease bucket", CI 2026-12-03), hiding what they test.
     */
    @AfterEach
    void natsWholeAgain() throws Exception {
        nats.restartDead();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (nats != null) {
            nats.close();
        }
    }

    private static KillableServer node(String name, String... flags) throws Exception {
        Path data = Files.createDirectories(dir.resolve(name + "-" + System.nanoTime()));
        List<String> args = new ArrayList<>(List.of("--cluster", nats.urls(), "--cluster-lease-ms", LEASE_MS,
                "--cluster-node", name, "--token-secret-file", secret.toString()));
        args.addAll(List.of(flags));
        return KillableServer.start(data, args.toArray(String[]::new));
    }

    /**
     * A recorder that reaches a room through another node (relayed) and joins with {@code lastSeq=0} is sent the
     * room's whole history: it must get every event, in order, and not be cut, however large the history (on one
     * node this is CatchUpEndToEndTest's flow control; relayed, the owner's replay crosses NATS first).
     */
    private static void aRelayedRecorderCatchesUpOnALargeHistoryWithoutBeingCut(KillableServer a, KillableServer b)
            throws Exception {
        JsonNode created = a.adminJson("POST", "/api/rooms", "{\"name\":\"History\"}");
        String roomId = created.path("room").path("id").asText();
        TestClient mod = TestClient.join(join(a, roomId, TestServer.link(created, "moderator", 0), -1));
        String text = "x".repeat(1990);
        // ~6 MB of room events: six times the per-member 1 MiB write bound that cuts slow consumers (the 20 MB
        // of CatchUpEndToEndTest, replicated three times by JetStream, cost the parallel browser tests a minute)
        int prompts = 1_500;
        long filling = System.nanoTime();
        for (int i = 0; i < prompts; i++) {
            mod.send("{\"type\":\"prompt\",\"text\":\"" + i + text + "\",\"meta\":{\"pad\":\""
                    + "m".repeat(2000) + "\"},\"cid\":\"h" + i + "\"}");
            if (i % 100 == 99) { // at most 100 ahead of the acks: the log's backlog bound refuses more
                int sent = i + 1;
                Awaitility.await().atMost(60, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size() >= sent);
            }
        }
        Awaitility.await().atMost(60, TimeUnit.SECONDS).until(() -> mod.ofType("prompt").size() >= prompts);
        assertTrue(mod.ofType("error").isEmpty(), "every prompt taken: " + mod.ofType("error"));
        System.out.printf("cluster catch-up: %d prompts of 4 KB into the room's stream in %d ms%n", prompts,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - filling));
        long last = lastSeq(mod);
        long start = System.nanoTime();
        TestClient rec = TestClient.join(join(b, roomId, TestServer.link(created, "recorder", 0), 0));
        Awaitility.await("the relayed recorder caught up or was cut").atMost(90, TimeUnit.SECONDS)
                .until(() -> lastSeq(rec) >= last || rec.isClosed());
        System.out.printf("cluster catch-up: %d events relayed to a recorder on another node in %d ms; %s%n",
                last, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), rec.state());
        assertFalse(rec.isClosed(), "the relayed recorder was not cut: " + rec.state());
        List<Long> seqs = eventSeqs(rec);
        for (int i = 0; i < seqs.size(); i++) {
            assertEquals(i + 1, seqs.get(i), "seq in order, none missing");
        }
        // the lease goes once the session is exported and its 6 MB purged from the shared stream (JetStream
        // re-replicates a stream to a NATS server that comes back: a larger stream slows the later tests' elections)
        closeAndAwaitLeaseGone(a, roomId);
        mod.abort();
        rec.abort();
    }

    static String join(KillableServer node, String roomId, JsonNode link, long lastSeq) {
        return node.ws("/ws/rooms/" + roomId + "?token=" + link.path("token").asText()
                + (lastSeq >= 0 ? "&lastSeq=" + lastSeq : ""));
    }

    @Test
    void natsLeaderThenOwnerKilledMidSceneLoseNothingAcknowledgedAndMembersResumeOnTheOtherNode() throws Exception {
        try (KillableServer a = node("fa" + ProcessHandle.current().pid());
             KillableServer b = node("fb" + ProcessHandle.current().pid())) {
          try {
            JsonNode created = a.adminJson("POST", "/api/rooms", "{\"name\":\"Failover\"}");
            String roomId = created.path("room").path("id").asText();
            String session = created.path("room").path("sessionId").asText();
            JsonNode modLink = TestServer.link(created, "moderator", 0);
            JsonNode anaLink = TestServer.link(created, "performer", 0);
            JsonNode benLink = TestServer.link(created, "performer", 1);
            JsonNode recLink = TestServer.link(created, "recorder", 0);
            TestClient ana = TestClient.join(join(a, roomId, anaLink, -1));   // on the owner
            TestClient mod = TestClient.join(join(b, roomId, modLink, -1));   // relayed through b
            TestClient ben = TestClient.join(join(b, roomId, benLink, -1));
            TestClient rec = TestClient.join(join(b, roomId, recLink, -1));

            // members on different nodes: signals reach exactly one peer, marks and prompts reach everyone in order
            ben.send("{\"type\":\"signal\",\"to\":\"" + ana.welcomeId() + "\",\"kind\":\"offer\",\"data\":{\"sdp\":"
                    + "\"v=0\"}}");
            JsonNode signal = ana.await("signal");
            assertEquals(ben.welcomeId(), signal.path("from").asText());
            ana.send("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":1,\"cid\":\"m0\"}");
            mod.send("{\"type\":\"scene_start\",\"cid\":\"s0\"}");
            mod.await(m -> m.path("type").asText().equals("ack") && m.path("cid").asText().equals("s0"), "scene ack");
            for (TestClient c : List.of(ana, mod, ben, rec)) {
                c.await("mark");
                c.await("scene_started");
            }
            assertTrue(mod.ofType("signal").isEmpty() && rec.ofType("signal").isEmpty(), "a signal goes to one peer");

            // prompts from b (relayed) and marks on a stream while a is killed
            AtomicBoolean stop = new AtomicBoolean();
            CompletableFuture<Void> prompts = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 20_000 && !stop.get() && !mod.isClosed(); i++) {
                    try {
                        mod.send("{\"type\":\"prompt\",\"text\":\"take " + i + "\",\"cid\":\"k" + i + "\"}");
                        Thread.sleep(2);
                    } catch (RuntimeException | InterruptedException e) {
                        return;
                    }
                }
            });
            CompletableFuture<Void> marks = CompletableFuture.runAsync(() -> {
                for (int i = 1; i < 5_000 && !stop.get() && !ana.isClosed(); i++) {
                    try {
                        ana.send("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":" + i + ",\"cid\":\"m" + i
                                + "\"}");
                        Thread.sleep(5);
                    } catch (RuntimeException | InterruptedException e) {
                        return;
                    }
                }
            });
            Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size() >= 300);
            // the room stream's leader (a NATS node) dies first: appends stall during the election, the owner's
            // log queues up — and nothing queued may have been acknowledged when the owner dies in turn
            int natsLeader = streamLeader();
            nats.kill(natsLeader);
            Thread.sleep(300);
            a.kill();
            long killedAt = System.nanoTime();
            stop.set(true);
            prompts.get(10, TimeUnit.SECONDS);
            marks.get(10, TimeUnit.SECONDS);

            // b lets its relayed members go (1001); everyone resumes on b with lastSeq, once b took the room over
            assertEquals(1001, mod.awaitClose(), "relayed members are told to reconnect: " + mod.closeReason());
            List<TestClient> before = List.of(mod, ana, ben, rec);
            List<JsonNode> links = List.of(modLink, anaLink, benLink, recLink);
            List<TestClient> after = new ArrayList<>();
            for (int i = 0; i < before.size(); i++) {
                before.get(i).abort();
                // NATS elects new leaders first (seconds on a loaded box): reconnect as the pages do until welcome
                after.add(resume(join(b, roomId, links.get(i), lastSeq(before.get(i)))));
            }
            long restartedAt = after.get(0).awaitArrival(m -> m.path("type").asText().equals("server_restarted"),
                    "the takeover on the timeline");
            System.out.printf("cluster failover: stream leader SIGKILL, owner SIGKILL 300 ms later -> server_restarted at a member on the new owner: "
                    + "%d ms%n", TimeUnit.NANOSECONDS.toMillis(restartedAt - killedAt));
            TestClient mod2 = after.get(0);
            prompts(mod2, "after", "a", 20);
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> mod2.ofType("ack").size() >= 20);
            nats.restart(natsLeader);

            List<WalRecord> events = checkedEvents(roomId, session);
            int acked = assertAcknowledgedInStream(List.of(mod, mod2), Map.of("k", "take", "a", "after"), events);
            assertTrue(acked >= 300, "acks: " + acked);

            // the recorder saw every seq once, in order, and everything the stream holds (once its replay is done)
            long lastInStream = events.get(events.size() - 1).seq();
            Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> lastSeq(after.get(3)) >= lastInStream);
            List<Long> recorded = new ArrayList<>();
            recorded.addAll(eventSeqs(rec));
            recorded.addAll(eventSeqs(after.get(3)));
            for (int i = 1; i < recorded.size(); i++) {
                assertTrue(recorded.get(i) > recorded.get(i - 1), "recorder: seq " + recorded.get(i) + " after "
                        + recorded.get(i - 1));
            }
            Set<Long> seen = new HashSet<>(recorded);
            for (WalRecord e : events) {
                assertTrue(seen.contains(e.seq()), "the recorder has seq " + e.seq());
            }
            // events the recorder saw that the log never got (shown before durable, the owner killed meanwhile) are
            // exactly ones the new owner's server_restarted declares skipped: the difference is on the timeline
            Set<Long> durable = new HashSet<>();
            events.forEach(e -> durable.add(e.seq()));
            List<long[]> skipped = new ArrayList<>();
            for (JsonNode m : after.get(3).received()) {
                if (m.path("type").asText().equals("server_restarted")) {
                    skipped.add(new long[] {m.path("skippedFrom").asLong(), m.path("skippedTo").asLong()});
                }
            }
            int neverDurable = 0;
            for (long seq : recorded) {
                if (!durable.contains(seq)) {
                    neverDurable++;
                    assertTrue(skipped.stream().anyMatch(r -> seq >= r[0] && seq <= r[1]), "recorded seq " + seq
                            + " is not in the log and not in a declared skip " + skipped.stream()
                            .map(java.util.Arrays::toString).toList());
                }
            }
            System.out.printf("cluster failover: %d acknowledged, %d events in the stream, recorder %d events (%d of "
                    + "them never durable, all inside the declared skip)%n", acked, events.size(), recorded.size(),
                    neverDurable);
            closeAndAwaitLeaseGone(b, roomId);
            after.forEach(TestClient::abort);
            b.output().stream().filter(l -> l.contains("RoomLeases")).forEach(l -> System.out.println("node b: " + l));
          } catch (Throwable e) {
            dumpLogs(a, b);
            throw e;
          }
        }
    }

    /**
     * Three nodes; a room owned by a and one owned by b, each with its moderator relayed through c and its
     * performer relayed through the other owner, prompts streaming in both. a is SIGKILLed, b 300 ms later (while
     * a's lease is still running out): c, the last node, takes both rooms over. Every member resumes on c, every
     * acknowledged prompt of either room is in its stream at its seq, seqs have no gap but the declared skip, and
     * both rooms go on (prompts acknowledged on c). A lobby pool opened on a, with three performers queued in
     * order (connected to a, b and c: lobby members are relayed to the pool's owner), fails over to c as well: each performer reconnects to c and is told the same place in the queue, a
     * performer new on c is matched with the first of them (same language) into a room that c opens, and the
     * pool's admin calls answer on c. The pool's log is snapshotted and purged before the kill (the nodes snapshot
     * after every fact), so c rebuilds it from a snapshot.
     */
    private static void twoOwnersKilledOneAfterTheOtherTheThirdNodeTakesBothRoomsAndThePool(
            KillableServer a, KillableServer b, KillableServer c, String pool) throws Exception {
        List<KillableServer> owners = List.of(a, b);
        List<String> roomIds = new ArrayList<>();
        List<String> sessions = new ArrayList<>();
        List<JsonNode> modLinks = new ArrayList<>();
        List<JsonNode> anaLinks = new ArrayList<>();
        List<TestClient> mods = new ArrayList<>();
        List<TestClient> anas = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            JsonNode created = owners.get(r).adminJson("POST", "/api/rooms", "{\"name\":\"Both " + r + "\"}");
            roomIds.add(created.path("room").path("id").asText());
            sessions.add(created.path("room").path("sessionId").asText());
            modLinks.add(TestServer.link(created, "moderator", 0));
            anaLinks.add(TestServer.link(created, "performer", 0));
            mods.add(TestClient.join(join(c, roomIds.get(r), modLinks.get(r), -1)));
            anas.add(TestClient.join(join(owners.get(1 - r), roomIds.get(r), anaLinks.get(r), -1)));
        }
        // the pool on a: p1 (fr) on a, p2 (de) relayed through b, p3 (it) through c queue in this order (no common
        // language: nobody is matched)
        assertEquals(201, a.admin("POST", "/api/pools", "{\"id\":\"" + pool + "\",\"consentVersion\":1,"
                + "\"consentText\":\"recorded\",\"roomSize\":2}").statusCode());
        List<String> lobbyLinks = new ArrayList<>();
        List<String> performerIds = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            JsonNode link = a.adminJson("POST", "/api/pools/" + pool + "/links",
                    "{\"role\":\"performer\",\"name\":\"p" + i + "\"}");
            lobbyLinks.add("/ws/lobby/" + pool + "?token=" + link.path("token").asText());
            performerIds.add(link.path("participantId").asText());
        }
        List<String> languages = List.of("fr", "de", "it");
        List<TestClient> queued = new ArrayList<>();
        List<KillableServer> edges = List.of(a, b, c);
        for (int i = 0; i < 3; i++) {
            TestClient p = lobby(edges.get(i), lobbyLinks.get(i), languages.get(i));
            assertEquals(i + 1, p.await("lobby_queued").path("position").asInt(), "queued in order in a's pool");
            queued.add(p);
        }
        assertEquals(3, c.adminJson("GET", "/api/pools/" + pool, null).path("waiting").asInt(),
                "an admin call about the pool on another node is answered by its owner");
        assertEquals(roomIds.get(0), c.adminJson("GET", "/api/rooms/" + roomIds.get(0), null).path("id").asText(),
                "so is one about a room (it answered 404: an Optional answer could not be encoded)");
        // a snapshot after every stored fact here (--cluster-pool-snapshot-facts 1): the pool's log is purged up to
        // its latest snapshot, so the takeover below rebuilds the pool from a snapshot, not from its opening
        Awaitility.await("a snapshot of the three waiting, the facts before it purged").atMost(20, TimeUnit.SECONDS)
                .until(() -> {
                    List<LobbyFact> facts = poolFactsInStream(pool);
                    PoolSnapshot last = null;
                    for (LobbyFact f : facts) {
                        last = f instanceof PoolSnapshot snap ? snap : last;
                    }
                    return last != null && last.lobby().members().size() == 3
                            && facts.stream().noneMatch(f -> f instanceof LobbyFact.PoolOpened);
                });

        AtomicBoolean stop = new AtomicBoolean();
        List<CompletableFuture<Void>> streams = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            TestClient mod = mods.get(r);
            streams.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 5_000 && !stop.get() && !mod.isClosed(); i++) {
                    try {
                        mod.send("{\"type\":\"prompt\",\"text\":\"take " + i + "\",\"cid\":\"k" + i + "\"}");
                        Thread.sleep(5);
                    } catch (RuntimeException | InterruptedException e) {
                        return;
                    }
                }
            }));
        }
        Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> {
            for (TestClient mod : mods) { // seen once at load ~18: b missed its lease and heartbeats for 2 s
                assertFalse(mod.isClosed(), "a room moved before any kill (a node went unheard for the lease time: "
                        + "an overloaded box?): " + mod.closeReason());
            }
            return mods.get(0).ofType("ack").size() >= 50 && mods.get(1).ofType("ack").size() >= 50;
        });
        a.kill();
        long killedAt = System.nanoTime();
        Thread.sleep(300);
        b.kill();
        stop.set(true);
        for (CompletableFuture<Void> f : streams) {
            f.get(10, TimeUnit.SECONDS);
        }
        List<TestClient> mods2 = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            assertEquals(1001, mods.get(r).awaitClose(), "c lets the relayed moderator go: "
                    + mods.get(r).closeReason());
            mods.get(r).abort();
            anas.get(r).abort();
            mods2.add(resume(join(c, roomIds.get(r), modLinks.get(r), lastSeq(mods.get(r)))));
        }
        for (int r = 0; r < 2; r++) {
            long restartedAt = mods2.get(r).awaitArrival(m -> m.path("type").asText().equals("server_restarted"),
                    "the takeover on the timeline");
            System.out.printf("cluster failover: owners a and b SIGKILLed 300 ms apart -> room %d's "
                    + "server_restarted on c after %d ms%n", r, TimeUnit.NANOSECONDS.toMillis(restartedAt - killedAt));
        }
        List<TestClient> anas2 = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            anas2.add(resume(join(c, roomIds.get(r), anaLinks.get(r), lastSeq(anas.get(r)))));
            prompts(mods2.get(r), "after", "a", 10);
        }
        for (int r = 0; r < 2; r++) {
            TestClient mod2 = mods2.get(r);
            TestClient ana2 = anas2.get(r);
            Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> mod2.ofType("ack").size() >= 10);
            ana2.await(m -> m.path("text").asText().equals("after 9"), "the performer on c hears the room go on");
            List<WalRecord> events = checkedEvents(roomIds.get(r), sessions.get(r));
            int acked = assertAcknowledgedInStream(List.of(mods.get(r), mod2), Map.of("k", "take", "a", "after"),
                    events);
            assertTrue(acked >= 60, "room " + r + " acks: " + acked);
            System.out.printf("cluster failover a+b -> c: room %d: %d acknowledged, %d events in the stream%n",
                    r, acked, events.size());
        }
        // the pool on c: every performer reconnects there and keeps its place; a newcomer is paired with p1
        queued.forEach(TestClient::abort);
        for (int i = 0; i < 3; i++) {
            TestClient p = lobbyResume(c, lobbyLinks.get(i));
            if (i == 0) {
                System.out.printf("cluster failover a+b -> c: the pool's lobby welcomes on c %d ms after a's kill%n",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
            }
            p.send("{\"type\":\"lobby_join\",\"languages\":[\"" + languages.get(i) + "\"],\"consentVersion\":1}");
            assertEquals(i + 1, p.await("lobby_queued").path("position").asInt(), "the queue's order kept on c");
            queued.set(i, p);
        }
        assertTrue(c.output().stream().anyMatch(l -> l.contains("rebuilt pool " + pool + " from its snapshot")),
                "c rebuilt the pool from its snapshot (the facts before it were purged)");
        TestClient p4 = lobby(c, lobbyLinks.get(3), "fr");
        for (TestClient p : List.of(queued.get(0), p4)) {
            JsonNode offer = p.await("lobby_offer");
            assertTrue(offer.path("performers").toString().contains(performerIds.get(0))
                    && offer.path("performers").toString().contains(performerIds.get(3)), "p1 and the newcomer: " + offer);
            p.send("{\"type\":\"lobby_accept\",\"offerId\":\"" + offer.path("offerId").asText() + "\"}");
        }
        String matchedRoom = queued.get(0).await("lobby_matched").path("roomId").asText();
        assertEquals(matchedRoom, p4.await("lobby_matched").path("roomId").asText());
        assertEquals(200, c.admin("GET", "/api/rooms/" + matchedRoom, null).statusCode(), "c opened the room");
        assertEquals(2, c.adminJson("GET", "/api/pools/" + pool, null).path("waiting").asInt(), "p2 and p3 wait");
        JsonNode health = c.adminJson("GET", "/healthz", null).path("cluster");
        assertTrue(health.path("leasesHeld").asInt() >= 3, "c holds both rooms and the pool: " + health);
        queued.forEach(TestClient::abort);
        p4.abort();
        for (int r = 0; r < 2; r++) {
            closeAndAwaitLeaseGone(c, roomIds.get(r));
        }
        mods2.forEach(TestClient::abort);
        anas2.forEach(TestClient::abort);
    }

    /**
     * Three nodes for two scenarios, one after the other (a node's JVM start costs seconds of CPU here: sharing them
     * keeps the suite's time): a recorder relayed through c catches up on a large history of a room owned by a;
     * then a (owning a room and a lobby pool) and b (owning a room) are killed one after the other and c takes all
     * three over.
     */
    @Test
    void threeNodesARelayedRecorderCatchesUpThenTwoOwnersDieAndTheThirdTakesTheirRoomsAndPool() throws Exception {
        long pid = ProcessHandle.current().pid();
        String pool = "lobby-" + pid + "-" + Long.toString(System.nanoTime(), 36);
        long starting = System.nanoTime();
        String[] fast = {"--ws-read-bytes-per-second", "0", // the message rate is already lifted for these nodes
            "--cluster-pool-snapshot-facts", "1"};
        List<KillableServer> three = nodes(fast, "ta" + pid, "tb" + pid, "tc" + pid);
        System.out.printf("cluster: three nodes started in %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - starting));
        try {
            aRelayedRecorderCatchesUpOnALargeHistoryWithoutBeingCut(three.get(0), three.get(2));
            twoOwnersKilledOneAfterTheOtherTheThirdNodeTakesBothRoomsAndThePool(three.get(0), three.get(1),
                    three.get(2), pool);
        } catch (Throwable e) {
            dumpLogs(three.toArray(KillableServer[]::new));
            throw e;
        } finally {
            for (KillableServer s : three) {
                s.close();
            }
            // no API closes a pool: its lease and log go by hand, or the next test's nodes would take it over
            try (Connection nc = nats.connect()) {
                nc.keyValue(ClusterNode.LEASE_BUCKET).purge(PoolStream.leaseKey(pool));
                nc.jetStreamManagement().purgeStream(PoolStream.STREAM, io.nats.client.PurgeOptions.subject(
                        PoolStream.subject(pool)));
            }
        }
    }

    /**
     * Issue 16: "a lobby on node A pairs performers connected to nodes A and B into a room owned by node C", and the
     * room's scenes count in the pool's time accounting wherever the room runs. The pool is on a; a and b own a
     * room each, so the matched room goes to c (the node owning the fewest). A scene there counts for both
     * performers on a; a second scene runs while c is SIGKILLed: the room is taken over by a or b, the members
     * resume, the scene ends there and counts too (time up to c's last durable event, then from the performers'
     * return), never more than it lasted. The room's close reaches the pool, which can then be closed (refused
     * while it has open rooms). Before the room's times crossed nodes the pool counted nothing of either scene.
     */
    @Test
    void aLobbyOnAPairsPerformersOfAAndBIntoARoomOnCWhoseScenesCountThroughItsFailover() throws Exception {
        long pid = ProcessHandle.current().pid();
        String pool = "spread-" + pid + "-" + Long.toString(System.nanoTime(), 36);
        List<KillableServer> three = nodes(new String[0], "pra" + pid, "prb" + pid, "prc" + pid);
        KillableServer a = three.get(0);
        KillableServer b = three.get(1);
        KillableServer c = three.get(2);
        String cName = "prc" + pid;
        onNodes(three, () -> {
            // Rooms that earlier tests of this class left behind (their nodes killed) are taken over by these nodes
            // once their leases expire (seen in CI: b took one, so a and b both had 2 and the room went to a). So:
            // wait until every room lease is held by one of these three, then open rooms on a and b until both own
            // more than c, as a sees it (its own view: its lease watcher can lag behind the bucket under load).
            Set<String> ours = Set.of("pra" + pid, "prb" + pid, cName);
            Awaitility.await("a hears every node, and every room lease is held by one of them")
                    .atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(250))
                    .until(() -> a.adminJson("GET", "/healthz", null).path("cluster"), h -> h.path("nodes").asInt() == 3
                            && ours.containsAll(namesOf(h.path("roomsPerNode").fieldNames())));
            List<String> adminRooms = new ArrayList<>();
            Awaitility.await("a sees c owning the fewest rooms").atMost(30, TimeUnit.SECONDS)
                    .pollInterval(Duration.ofMillis(500)).until(() -> {
                        JsonNode perNode = a.adminJson("GET", "/healthz", null).path("cluster").path("roomsPerNode");
                        int onC = perNode.path(cName).asInt();
                        boolean done = true;
                        for (KillableServer n : List.of(a, b)) {
                            String name = n == a ? "pra" + pid : "prb" + pid;
                            if (perNode.path(name).asInt() <= onC) {
                                adminRooms.add(n.adminJson("POST", "/api/rooms", "{\"name\":\"busy\"}").path("room")
                                        .path("id").asText());
                                done = false;
                            }
                        }
                        return done;
                    });
            assertEquals(201, a.admin("POST", "/api/pools", "{\"id\":\"" + pool + "\",\"consentVersion\":1,"
                    + "\"consentText\":\"recorded\",\"roomSize\":2}").statusCode());
            Map<String, String> lobbyLinks = new HashMap<>();
            for (String who : List.of("mod", "p", "q")) {
                JsonNode link = a.adminJson("POST", "/api/pools/" + pool + "/links", "{\"role\":\""
                        + (who.equals("mod") ? "moderator" : "performer") + "\",\"name\":\"" + who + "\"}");
                lobbyLinks.put(who, "/ws/lobby/" + pool + "?token=" + link.path("token").asText());
                lobbyLinks.put(who + ".id", link.path("participantId").asText());
            }
            TestClient mod = TestClient.connect(a.ws(lobbyLinks.get("mod")));
            mod.await("lobby_welcome");
            TestClient p = lobby(a, lobbyLinks.get("p"), "en");
            TestClient q = lobby(b, lobbyLinks.get("q"), "en"); // relayed to a
            for (TestClient t : List.of(p, q)) {
                t.send("{\"type\":\"lobby_accept\",\"offerId\":\"" + t.await("lobby_offer").path("offerId")
                        .asText() + "\"}");
            }
            JsonNode pm = p.await("lobby_matched");
            JsonNode qm = q.await("lobby_matched");
            JsonNode mm = mod.await("lobby_matched");
            String roomId = pm.path("roomId").asText();
            assertEquals(roomId, qm.path("roomId").asText());
            try (Connection nc = nats.connect()) {
                assertEquals(cName, new String(nc.keyValue(ClusterNode.LEASE_BUCKET).get(roomId).getValue(),
                        java.nio.charset.StandardCharsets.US_ASCII), "the room opened on c, the node with fewest rooms");
            }
            String[] urls = {"/ws/rooms/" + roomId + "?token=" + pm.path("token").asText(),
                "/ws/rooms/" + roomId + "?token=" + qm.path("token").asText(),
                "/ws/rooms/" + roomId + "?token=" + mm.path("token").asText()};
            TestClient rp = TestClient.join(a.ws(urls[0]));
            TestClient rq = TestClient.join(b.ws(urls[1]));
            TestClient rm = TestClient.join(a.ws(urls[2]));
            // scene 1, entirely on c
            rm.send("{\"type\":\"scene_start\",\"title\":\"one\"}");
            rp.await("scene_started");
            rq.await("scene_started");
            Thread.sleep(400);
            rm.send("{\"type\":\"scene_end\"}");
            rp.await("scene_ended");
            Map<String, JsonNode> after1 = new HashMap<>();
            for (String who : List.of("p", "q")) {
                String id = lobbyLinks.get(who + ".id");
                JsonNode t = Awaitility.await(who + "'s scene counted on a").atMost(10, TimeUnit.SECONDS)
                        .until(() -> a.adminJson("GET", "/api/pools/" + pool + "/performers/" + id + "/time", null),
                                j -> j.path("scenesCompleted").asInt() == 1);
                assertTrue(t.path("sceneMs").asLong() >= 350 && t.path("sceneMs").asLong() < 5_000, t.toString());
                after1.put(who, t);
            }
            // scene 2: c dies in the middle of it
            long scene2Start = System.nanoTime();
            rm.send("{\"type\":\"scene_start\",\"title\":\"two\"}");
            rp.await(m -> m.path("type").asText().equals("scene_started") && m.path("title").asText().equals("two"),
                    "scene two");
            Thread.sleep(400);
            rm.send("{\"type\":\"prompt\",\"text\":\"before the kill\",\"cid\":\"bk\"}");
            rm.await(m -> m.path("type").asText().equals("ack") && m.path("cid").asText().equals("bk"),
                    "the prompt durable on c");
            c.kill();
            for (TestClient t : List.of(rp, rq, rm)) {
                assertEquals(1001, t.awaitClose(), "the edge lets its relayed member go: " + t.closeReason());
            }
            TestClient rp2 = resume(a.ws(urls[0]) + "&lastSeq=" + lastSeq(rp));
            TestClient rq2 = resume(b.ws(urls[1]) + "&lastSeq=" + lastSeq(rq));
            TestClient rm2 = resume(a.ws(urls[2]) + "&lastSeq=" + lastSeq(rm));
            rm2.await("server_restarted");
            Thread.sleep(400);
            rm2.send("{\"type\":\"scene_end\"}");
            rp2.await("scene_ended");
            long scene2Ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - scene2Start);
            String newOwner = a.output().stream().anyMatch(l -> l.contains("took room " + roomId + " over"))
                    ? "a" : "b";
            for (String who : List.of("p", "q")) {
                String id = lobbyLinks.get(who + ".id");
                JsonNode t = Awaitility.await(who + "'s second scene counted on a").atMost(15, TimeUnit.SECONDS)
                        .until(() -> a.adminJson("GET", "/api/pools/" + pool + "/performers/" + id + "/time", null),
                                j -> j.path("scenesCompleted").asInt() == 2);
                long counted = t.path("sceneMs").asLong() - after1.get(who).path("sceneMs").asLong();
                System.out.printf("cluster pool rooms: %s's scene two (%d ms from its start to its end, c killed in "
                        + "it, taken over by %s) counted %d ms%n", who, scene2Ms, newOwner, counted);
                assertTrue(counted >= 750 && counted <= scene2Ms, "scene two counted " + counted + " ms of "
                        + scene2Ms + ": " + t);
            }
            // the room's close reaches the pool (through b, whichever node owns it now)
            assertEquals(200, b.admin("DELETE", "/api/rooms/" + roomId, null).statusCode());
            Awaitility.await("the pool hears its room closed").atMost(15, TimeUnit.SECONDS).until(() ->
                    a.adminJson("GET", "/api/pools/" + pool, null).path("rooms").isEmpty());
            java.net.http.HttpResponse<String> closed = b.admin("DELETE", "/api/pools/" + pool, null);
            assertEquals(200, closed.statusCode(), "closed once its room is: " + closed.body());
            assertTrue(closed.body().contains(lobbyLinks.get("p.id")), "the close's statement: " + closed.body());
            for (String r : adminRooms) {
                closeAndAwaitLeaseGone(a, r);
            }
            for (TestClient t : List.of(mod, p, q, rp2, rq2, rm2)) {
                t.abort();
            }
        });
    }

    /**
     * A pool close is answered with the performers' final pay statement, so the answer must wait until JetStream
     * stored {@code pool_closed}: else a node lost right after it would let another node rebuild the pool with its
     * intervals running. All three NATS servers are paused for a moment: no answer meanwhile (it came within
     * milliseconds before the answer waited), and the answer once they are back, with the close in the stream.
     */
    @Test
    void aPoolCloseIsAnsweredOnlyOnceJetStreamStoredItAndOnAnyNode() throws Exception {
        long pid = ProcessHandle.current().pid();
        String pool = "closing-" + pid + "-" + Long.toString(System.nanoTime(), 36);
        List<KillableServer> two = nodes(new String[0], "pca" + pid, "pcb" + pid);
        KillableServer a = two.get(0);
        KillableServer b = two.get(1);
        onNodes(two, () -> {
            TestClient p = openWithOneQueued(a, a, pool);
            Awaitility.await("the queue join is in the pool's stream").atMost(20, TimeUnit.SECONDS).until(() ->
                    poolFactsInStream(pool).stream().anyMatch(f -> f instanceof LobbyFact.Joined));
            CompletableFuture<java.net.http.HttpResponse<String>> closed;
            for (int i = 0; i < nats.size(); i++) {
                NatsClusterRig.signal(nats.pid(i), "STOP");
            }
            try {
                closed = CompletableFuture.supplyAsync(() -> {
                    try {
                        return a.admin("DELETE", "/api/pools/" + pool, null);
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                });
                Thread.sleep(800); // well within the 2 s lease: the node keeps the pool
                assertFalse(closed.isDone(), "the close was answered while no NATS server could store it: "
                        + (closed.isDone() ? closed.join().body() : ""));
            } finally {
                for (int i = 0; i < nats.size(); i++) {
                    NatsClusterRig.signal(nats.pid(i), "CONT");
                }
            }
            java.net.http.HttpResponse<String> answer = closed.get(40, TimeUnit.SECONDS);
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals(1, ProtocolCodec.mapper().readTree(answer.body()).path("performers").size(),
                    answer.body());
            // once pool_closed is stored (and only then: the same callback), the answer goes, the pool's log is
            // purged and its lease handed in, so that no node rebuilds the closed pool (the lease stayed before
            // 2026-12-04, and the next test's node rebuilt the pool from its log)
            try (Connection nc = nats.connect()) {
                io.nats.client.KeyValue kv = nc.keyValue(ClusterNode.LEASE_BUCKET);
                Awaitility.await("the closed pool's lease gone").atMost(10, TimeUnit.SECONDS)
                        .until(() -> kv.get(PoolStream.leaseKey(pool)) == null);
            }
            assertTrue(poolFactsInStream(pool).isEmpty(), "the closed pool's log purged");
            assertTrue(a.output().stream().anyMatch(l -> l.contains("pool " + pool + " closed: its log purged")),
                    "purged by the close");
            assertEquals(404, a.admin("GET", "/api/pools/" + pool, null).statusCode());
            p.abort();

            // closed through another node than its owner: the owner closes it and its statement comes back
            String other = pool + "-b";
            TestClient q = openWithOneQueued(a, b, other);
            java.net.http.HttpResponse<String> viaB = b.admin("DELETE", "/api/pools/" + other, null);
            assertEquals(200, viaB.statusCode(), viaB.body());
            assertEquals(other, ProtocolCodec.mapper().readTree(viaB.body()).path("pool").asText());
            assertEquals(1, ProtocolCodec.mapper().readTree(viaB.body()).path("performers").size(), viaB.body());
            assertEquals(404, a.admin("GET", "/api/pools/" + other, null).statusCode(), "closed on its owner");
            assertEquals(404, b.admin("DELETE", "/api/pools/" + other, null).statusCode(), "closed once");
            q.abort();

            // a close through b while the owner a is paused: not "no such room" (it answered 404 before) but
            // 503, since the close may still happen on a
            String roomId = a.adminJson("POST", "/api/rooms", "{\"name\":\"Paused owner\"}").path("room")
                    .path("id").asText();
            NatsClusterRig.signal(a.pid(), "STOP");
            java.net.http.HttpResponse<String> silent;
            try {
                silent = b.admin("DELETE", "/api/rooms/" + roomId, null);
            } finally {
                NatsClusterRig.signal(a.pid(), "CONT");
            }
            assertEquals(503, silent.statusCode(), silent.body());
            assertEquals("OWNER_UNREACHABLE", ProtocolCodec.mapper().readTree(silent.body()).path("code").asText());
            // the close may have happened on a once it ran again; either way the room goes, with its lease (the
            // next test's nodes would take it over otherwise)
            Awaitility.await("the room closed after all").atMost(30, TimeUnit.SECONDS)
                    .pollInterval(Duration.ofMillis(500)).until(() -> {
                        int code = b.admin("DELETE", "/api/rooms/" + roomId, null).statusCode();
                        return code == 200 || code == 404;
                    });
            try (Connection nc = nats.connect()) {
                io.nats.client.KeyValue kv = nc.keyValue(ClusterNode.LEASE_BUCKET);
                Awaitility.await().atMost(20, TimeUnit.SECONDS).until(() -> kv.get(roomId) == null);
            }
        });
    }

    /**
     * A closed cluster session becomes files as on one node, so that the dataset can be built from it: the owner
     * writes {@code events.jsonl} (every event's stored bytes, in seq order) into its data dir, serves it through
     * {@code /api/sessions}, then purges the room's subject and only then lets the lease go. And a session whose
     * node was lost after its close was stored but before it was exported (written here by hand under a lease of
     * a node that never runs) is exported by the node that takes the lease.
     */
    @Test
    void aClosedSessionIsExportedToFilesAndLeavesTheStreamEvenWhenItsNodeWasLost() throws Exception {
        long pid = ProcessHandle.current().pid();
        List<KillableServer> two = nodes(new String[0], "xa" + pid, "xb" + pid);
        KillableServer a = two.get(0);
        KillableServer b = two.get(1);
        onNodes(two, () -> {
            try (Connection nc = nats.connect()) {
                JsonNode created = a.adminJson("POST", "/api/rooms", "{\"name\":\"Exported\"}");
                String roomId = created.path("room").path("id").asText();
                String session = created.path("room").path("sessionId").asText();
                TestClient mod = TestClient.join(join(b, roomId, TestServer.link(created, "moderator", 0), -1));
                TestClient ana = TestClient.join(join(a, roomId, TestServer.link(created, "performer", 0), -1));
                for (int i = 0; i < 5; i++) {
                    mod.send("{\"type\":\"prompt\",\"text\":\"exported " + i + "\",\"cid\":\"x" + i + "\"}");
                }
                mod.await(m -> m.path("type").asText().equals("ack") && m.path("cid").asText().equals("x4"), "acks");
                assertEquals(200, b.admin("DELETE", "/api/rooms/" + roomId, null).statusCode(), "closed via b");
                io.nats.client.KeyValue kv = nc.keyValue(ClusterNode.LEASE_BUCKET);
                Awaitility.await("the lease goes once the session is exported").atMost(20, TimeUnit.SECONDS)
                        .until(() -> kv.get(roomId) == null);
                java.net.http.HttpResponse<String> log = a.admin("GET", "/api/sessions/" + session + "/log", null);
                assertEquals(200, log.statusCode(), log.body());
                List<String> lines = log.body().lines().toList();
                for (int i = 0; i < lines.size(); i++) {
                    assertEquals(i + 1, ProtocolCodec.mapper().readTree(lines.get(i)).path("seq").asLong(),
                            "seq " + (i + 1) + " in order, no gap: " + lines);
                }
                assertEquals("room_closed", ProtocolCodec.mapper().readTree(lines.get(lines.size() - 1)).path("type")
                        .asText());
                for (int i = 0; i < 5; i++) {
                    String text = "exported " + i;
                    assertEquals(1, lines.stream().filter(l -> l.contains("\"" + text + "\"")).count(), text);
                }
                // the bytes the relayed moderator received are the bytes stored
                String prompt = mod.ofType("prompt").get(0).toString();
                assertTrue(lines.stream().anyMatch(l -> {
                    try {
                        return ProtocolCodec.mapper().readTree(l).toString().equals(prompt);
                    } catch (java.io.IOException e) {
                        return false;
                    }
                }), prompt);
                assertTrue(a.adminJson("GET", "/api/sessions", null).path("sessions").toString().contains(session));
                assertNoMessages(nc, StreamJournal.subject(roomId));
                mod.abort();
                ana.abort();

                // a closed session left in the stream by a node that is gone, under its lease
                String ghostRoom = "ghost" + Long.toString(System.nanoTime(), 36);
                String ghostSession = "20261203T000000Z-" + ghostRoom + "-g1";
                dev.improv.server.room.SessionMeta meta = new dev.improv.server.room.SessionMeta(ghostSession,
                        ghostRoom, "Ghost", 1_000_000L, null, 1, "test", List.of(), List.of());
                List<WalRecord> records = new ArrayList<>();
                records.add(SessionRecords.opened(meta, new dev.improv.server.room.RoomLimits(8, Map.of(), 60_000, 64)));
                List<String> stored = new ArrayList<>();
                for (long seq = 1; seq <= 3; seq++) {
                    String event = new String(ProtocolCodec.encode(new dev.improv.server.protocol.RoomEvent.Prompt(seq,
                            1_000_000 + seq, "server", "ghost " + seq, null, null, 0)),
                            java.nio.charset.StandardCharsets.UTF_8);
                    stored.add(event);
                    records.add(SessionRecords.event(ghostSession, seq, event.getBytes(
                            java.nio.charset.StandardCharsets.UTF_8), null, null));
                }
                records.add(SessionRecords.closed(meta));
                kv.create(ghostRoom, "ghost-node".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                nc.jetStream().publish(StreamJournal.subject(ghostRoom), SessionRecords.frames(records));
                Awaitility.await("a node takes the ghost's lease and exports its session").atMost(40, TimeUnit.SECONDS)
                        .until(() -> kv.get(ghostRoom) == null);
                List<KillableServer> holders = new ArrayList<>();
                for (KillableServer s : two) {
                    if (s.admin("GET", "/api/sessions/" + ghostSession + "/log", null).statusCode() == 200) {
                        holders.add(s);
                    }
                }
                assertEquals(1, holders.size(), "exported by the node that took the lease");
                assertEquals(stored, holders.get(0).admin("GET", "/api/sessions/" + ghostSession + "/log", null)
                        .body().lines().toList(), "the stored bytes of every event, in order");
                assertNoMessages(nc, StreamJournal.subject(ghostRoom));
            }
        });
    }

    /** The subject holds no message (purged). */
    private static void assertNoMessages(Connection nc, String subject) throws Exception {
        try {
            io.nats.client.api.MessageInfo last = nc.jetStreamManagement().getLastMessage(ClusterNode.STREAM, subject);
            throw new AssertionError(subject + " still holds messages, the last at " + last.getSeq());
        } catch (io.nats.client.JetStreamApiException e) {
            assertEquals(10037, e.getApiErrorCode(), "no message found: " + e.getMessage());
        }
    }

    /** Opens {@code pool} on {@code owner} and queues one performer through {@code edge}. */
    private static TestClient openWithOneQueued(KillableServer owner, KillableServer edge, String pool)
            throws Exception {
        assertEquals(201, owner.admin("POST", "/api/pools", "{\"id\":\"" + pool + "\",\"consentVersion\":1,"
                + "\"consentText\":\"recorded\",\"roomSize\":2}").statusCode());
        JsonNode link = owner.adminJson("POST", "/api/pools/" + pool + "/links",
                "{\"role\":\"performer\",\"name\":\"p0\"}");
        TestClient p = lobby(edge, "/ws/lobby/" + pool + "?token=" + link.path("token").asText(), "fr");
        assertEquals(1, p.await("lobby_queued").path("position").asInt());
        return p;
    }

    /** A performer connected to a pool's lobby on {@code node}, queued with one language. */
    private static TestClient lobby(KillableServer node, String path, String language) {
        TestClient p = TestClient.connect(node.ws(path));
        p.await("lobby_welcome");
        p.send("{\"type\":\"lobby_join\",\"languages\":[\"" + language + "\"],\"consentVersion\":1}");
        return p;
    }

    /** Connects to a lobby as a page does after a 1001: again while the pool's takeover is not done (40 s). */
    private static TestClient lobbyResume(KillableServer node, String path) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        for (;;) {
            TestClient p = TestClient.connect(node.ws(path));
            Awaitility.await().atMost(15, TimeUnit.SECONDS).until(() -> !p.ofType("lobby_welcome").isEmpty()
                    || p.isClosed());
            if (!p.ofType("lobby_welcome").isEmpty()) {
                return p;
            }
            assertEquals(1001, p.awaitClose(), "a lobby join during a takeover is told to come back: "
                    + p.received());
            assertTrue(System.nanoTime() < until, "the lobby is back within 40 s");
            Thread.sleep(250);
        }
    }

    /** The facts of {@code pool} in the pools' stream, in order. */
    private static List<LobbyFact> poolFactsInStream(String pool) throws Exception {
        List<LobbyFact> out = new ArrayList<>();
        try (Connection c = nats.connect()) {
            long last;
            try {
                last = c.jetStreamManagement().getLastMessage(PoolStream.STREAM, PoolStream.subject(pool)).getSeq();
            } catch (io.nats.client.JetStreamApiException e) {
                return out; // nothing there yet
            }
            JetStreamSubscription sub = c.jetStream().subscribe(PoolStream.subject(pool),
                    PushSubscribeOptions.builder().stream(PoolStream.STREAM).ordered(true).build());
            for (long seq = 0; seq < last; ) {
                Message m = sub.nextMessage(Duration.ofSeconds(10));
                assertTrue(m != null, "the pool's stream reads back up to " + last);
                seq = m.metaData().streamSequence();
                for (WalRecord r : SessionRecords.unframe(m.getData())) {
                    out.add(ProtocolCodec.mapper().readValue(r.body(), LobbyFact.class));
                }
            }
            sub.unsubscribe();
        }
        return out;
    }

    /** Server nodes started side by side (a JVM start is seconds of CPU; in turn, three cost ~10 s here). */
    private static List<KillableServer> nodes(String[] flags, String... names) throws Exception {
        List<CompletableFuture<KillableServer>> starting = new ArrayList<>();
        for (String name : names) {
            starting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return node(name, flags);
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            }));
        }
        List<KillableServer> started = new ArrayList<>();
        Throwable failed = null;
        for (CompletableFuture<KillableServer> f : starting) {
            try {
                started.add(f.join());
            } catch (java.util.concurrent.CompletionException e) {
                failed = failed == null ? e.getCause() : failed;
            }
        }
        if (failed != null) {
            for (KillableServer s : started) {
                s.close();
            }
            throw new IllegalStateException("a server node did not start", failed);
        }
        return started;
    }

    @Test
    void natsNodeKilledThenOwnerPausedPastItsLeaseIsFencedAndWritesNothingAfterResuming() throws Exception {
        try (KillableServer a = node("pa" + ProcessHandle.current().pid());
             KillableServer b = node("pb" + ProcessHandle.current().pid())) {
          try {
            JsonNode created = a.adminJson("POST", "/api/rooms", "{\"name\":\"Paused\"}");
            String roomId = created.path("room").path("id").asText();
            String session = created.path("room").path("sessionId").asText();
            JsonNode modLink = TestServer.link(created, "moderator", 0);
            JsonNode anaLink = TestServer.link(created, "performer", 0);
            TestClient staleMod = TestClient.join(join(a, roomId, modLink, -1));
            TestClient ana = TestClient.join(join(b, roomId, anaLink, -1));
            prompts(staleMod, "early", "e", 10);
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> staleMod.ofType("ack").size() >= 10);
            ana.await(m -> m.path("text").asText().equals("early 9"), "the last early prompt, relayed");

            // one NATS server dies (the stream's leader): after the election, traffic goes on and is acknowledged
            int natsLeader = streamLeader();
            nats.kill(natsLeader);
            prompts(staleMod, "during", "d", 10);
            Awaitility.await().atMost(40, TimeUnit.SECONDS).until(() -> staleMod.ofType("ack").size() >= 20);
            nats.restart(natsLeader);

            NatsClusterRig.signal(a.pid(), "STOP");
            long stoppedAt = System.nanoTime();
            try {
                // b takes the room over once a's lease runs out; the moderator comes back through b
                ana.awaitClose();
                ana.abort();
                TestClient ana2 = resume(join(b, roomId, anaLink, lastSeq(ana)));
                long restartedAt = ana2.awaitArrival(m -> m.path("type").asText().equals("server_restarted"),
                        "the takeover on the timeline");
                System.out.printf("cluster failover: owner SIGSTOP -> server_restarted at a member on the new "
                        + "owner: %d ms (lease %s ms)%n", TimeUnit.NANOSECONDS.toMillis(restartedAt - stoppedAt),
                        LEASE_MS);
                TestClient mod2 = resume(join(b, roomId, modLink, lastSeq(staleMod)));
                prompts(mod2, "new owner", "n", 10);
                Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> mod2.ofType("ack").size() >= 10);
                // the new owner says so on /healthz and /metrics
                JsonNode health = b.adminJson("GET", "/healthz", null).path("cluster");
                assertTrue(health.path("connected").asBoolean() && health.path("leasesHeld").asInt() >= 1
                        && health.path("node").asText().startsWith("pb"), health.toString());
                String metrics = b.admin("GET", "/metrics", null).body();
                assertTrue(metrics.contains("improv_cluster_takeovers_total 1.0")
                        && metrics.contains("improv_cluster_leases_held"), "cluster gauges on /metrics");
            } finally {
                NatsClusterRig.signal(a.pid(), "CONT");
            }
            // the paused node wakes with the room on its books: whatever it is sent now, it must not be written
            try {
                staleMod.send("{\"type\":\"prompt\",\"text\":\"stale\",\"cid\":\"stale\"}");
            } catch (java.util.concurrent.CompletionException e) {
                // the woken node let its member go before the prompt was out: as good
            }
            assertEquals(1001, staleMod.awaitClose(), "the fenced node lets its members go: "
                    + staleMod.closeReason());
            assertTrue(staleMod.ofType("ack").stream().noneMatch(m -> m.path("cid").asText().equals("stale")),
                    "nothing is acknowledged by a fenced node");
            assertTrue(staleMod.received().stream().noneMatch(m -> m.path("text").asText().equals("stale")),
                    "a node past its lease shows its members nothing another owner could number differently");
            List<WalRecord> events = checkedEvents(roomId, session);
            for (WalRecord e : events) {
                assertNotEquals("stale", ProtocolCodec.mapper().readTree(e.body()).path("text").asText());
            }
            Set<String> texts = new HashSet<>();
            for (WalRecord e : events) {
                JsonNode json = ProtocolCodec.mapper().readTree(e.body());
                if (json.path("type").asText().equals("prompt")) {
                    assertTrue(texts.add(json.path("text").asText()), "no prompt twice: " + json);
                }
            }
            assertTrue(texts.contains("new owner 9") && texts.contains("early 9") && texts.contains("during 9"),
                    texts.toString());
            closeAndAwaitLeaseGone(b, roomId);
          } catch (Throwable e) {
            dumpLogs(a, b);
            throw e;
          }
        }
    }

    /**
     * Every NATS server dies while a room runs (a data-centre power cut, a botched NATS upgrade): nothing can be made
     * durable, so nothing may be acknowledged; the room's moderator is told the log is unavailable; once NATS is back
     * the room goes on (members resume if the node let them go) and every acknowledged event is in the stream.
     */
    @Test
    void natsLostEntirelyWhileRunningAcknowledgesNothingUntilItIsBackAndLosesNothingAcknowledged() throws Exception {
        try (KillableServer a = node("la" + ProcessHandle.current().pid())) {
          try {
            JsonNode created = a.adminJson("POST", "/api/rooms", "{\"name\":\"Blackout\"}");
            String roomId = created.path("room").path("id").asText();
            String session = created.path("room").path("sessionId").asText();
            JsonNode modLink = TestServer.link(created, "moderator", 0);
            JsonNode anaLink = TestServer.link(created, "performer", 0);
            TestClient mod = TestClient.join(join(a, roomId, modLink, -1));
            TestClient ana = TestClient.join(join(a, roomId, anaLink, -1));
            prompts(mod, "lit", "l", 10);
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> mod.ofType("ack").size() >= 10);
            // NATS 2.9 stores a message in its own buffers and writes it to its files shortly after the ack (it has
            // no sync_interval option): every server killed within that moment can lose acknowledged messages
            // — beyond the promise (any one NATS server). Seen twice here (2026-12-04): the room's whole subject
            // gone after the restart, so its node could not append and the room could not be rebuilt. The
            // blackout starts once NATS has had a moment to write.
            Thread.sleep(1_000);

            for (int i = 0; i < nats.size(); i++) {
                nats.kill(i);
            }
            long darkAt = System.nanoTime();
            prompts(mod, "dark", "d", 10);
            // the moderator hears why nothing is acknowledged (or the node lets the room go: members must resume)
            Awaitility.await("a log notice, or the room let go").atMost(30, TimeUnit.SECONDS)
                    .until(() -> mod.isClosed() || mod.received().stream().anyMatch(m -> m.path("type").asText()
                            .equals("notice") && m.path("code").asText().equals("LOG_UNAVAILABLE")));
            System.out.printf("cluster blackout: %s after %d ms; acks of dark prompts while NATS was down: %d%n",
                    mod.isClosed() ? "room let go (" + mod.state() + ")" : "LOG_UNAVAILABLE notice",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - darkAt), darkAcks(mod).size());
            List<String> ackedWhileDark = darkAcks(mod);

            nats.restartDead();
            long backAt = System.nanoTime();
            TestClient mod2 = mod;
            if (mod.isClosed()) {
                assertEquals(1001, mod.awaitClose(), "a room let go tells its members to reconnect: "
                        + mod.closeReason());
                mod2 = resume(join(a, roomId, modLink, lastSeq(mod)));
            }
            TestClient modAfter = mod2;
            prompts(modAfter, "back", "b", 10);
            Awaitility.await("prompts acknowledged once NATS is back").atMost(60, TimeUnit.SECONDS)
                    .until(() -> modAfter.ofType("ack").stream().filter(m -> m.path("cid").asText().startsWith("b"))
                            .count() >= 10);
            System.out.printf("cluster blackout: NATS back -> 10 new prompts acknowledged in %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - backAt));

            List<WalRecord> events = checkedEvents(roomId, session);
            int acked = assertAcknowledgedInStream(new LinkedHashSet<>(List.of(mod, modAfter)),
                    Map.of("l", "lit", "d", "dark", "b", "back"), events);
            Set<String> texts = new HashSet<>();
            for (WalRecord e : events) {
                JsonNode json = ProtocolCodec.mapper().readTree(e.body());
                if (json.path("type").asText().equals("prompt")) {
                    assertTrue(texts.add(json.path("text").asText()), "no prompt twice: " + json);
                }
            }
            assertTrue(ackedWhileDark.isEmpty(), "nothing acknowledged while no NATS server ran: " + ackedWhileDark);
            Awaitility.await("the performer still gets the room's prompts").atMost(20, TimeUnit.SECONDS)
                    .until(() -> ana.isClosed() || ana.received().stream().anyMatch(m -> m.path("text").asText()
                            .equals("back 9")));
            System.out.printf("cluster blackout: %d acknowledged, %d events in the stream%n", acked, events.size());
            closeAndAwaitLeaseGone(a, roomId);
            mod.abort();
            modAfter.abort();
            ana.abort();
          } catch (Throwable e) {
            dumpLogs(a);
            throw e;
          } finally {
            nats.restartDead(); // the next test needs the whole cluster
          }
        }
    }

    /**
     * Every prompt the {@code moderators} had acknowledged whose cid starts with a key of {@code textOf} is in the
     * stream at the acknowledged seq, with the text "textOf(first letter) rest-of-cid"; how many there were.
     * (Checked ack by ack, not through a map of acks: one seq acknowledged twice must show.)
     */
    private static int assertAcknowledgedInStream(java.util.Collection<TestClient> moderators,
                                                  Map<String, String> textOf, List<WalRecord> events)
            throws Exception {
        Map<Long, JsonNode> bySeq = new HashMap<>();
        for (WalRecord e : events) {
            bySeq.put(e.seq(), ProtocolCodec.mapper().readTree(e.body()));
        }
        int acked = 0;
        for (TestClient c : moderators) {
            for (JsonNode ack : c.ofType("ack")) {
                String cid = ack.path("cid").asText();
                String text = cid.isEmpty() ? null : textOf.get(cid.substring(0, 1));
                if (text == null) {
                    continue;
                }
                acked++;
                long seq = ack.path("eventSeq").asLong();
                JsonNode e = bySeq.get(seq);
                assertTrue(e != null, "acknowledged seq " + seq + " (" + cid + ") is in the stream");
                assertEquals(text + " " + cid.substring(1), e.path("text").asText(), "acknowledged seq " + seq);
            }
        }
        return acked;
    }

    /** Sends {@code count} prompts "{@code text} i" with cids "{@code cid}i", i from 0. */
    static void prompts(TestClient client, String text, String cid, int count) {
        for (int i = 0; i < count; i++) {
            client.send("{\"type\":\"prompt\",\"text\":\"" + text + " " + i + "\",\"cid\":\"" + cid + i + "\"}");
        }
    }

    /** The cids of "dark" prompts acknowledged so far. */
    private static List<String> darkAcks(TestClient mod) {
        return mod.ofType("ack").stream().map(m -> m.path("cid").asText()).filter(c -> c.startsWith("d")).toList();
    }

    @FunctionalInterface
    private interface NodesWork {
        void run() throws Exception;
    }

    /** Runs {@code work}; on a failure prints the nodes' output; stops the nodes either way. */
    private static void onNodes(List<KillableServer> nodes, NodesWork work) throws Exception {
        try {
            work.run();
        } catch (Throwable e) {
            dumpLogs(nodes.toArray(KillableServer[]::new));
            throw e;
        } finally {
            for (KillableServer s : nodes) {
                s.close();
            }
        }
    }

    /** The server nodes' output, for a failure's report. */
    private static void dumpLogs(KillableServer... servers) {
        for (KillableServer s : servers) {
            List<String> out = List.copyOf(s.output()); // a copy: the node may still be writing
            System.out.println("---- server " + s.pid() + " (last 80 lines)");
            out.subList(Math.max(0, out.size() - 80), out.size()).forEach(System.out::println);
        }
    }

    @Test
    void aServerThatCannotReachNatsSaysSoAndExits() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path data = Files.createDirectories(dir.resolve("unreachable-" + System.nanoTime()));
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                "dev.improv.server.Main", "--host", "127.0.0.1", "--port", "0", "--data-dir", data.toString(),
                "--cluster", "nats://127.0.0.1:" + port).redirectErrorStream(true).start();
        try {
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server gives up");
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(3, p.exitValue(), out);
            assertTrue(out.contains("cannot join the cluster: cannot reach NATS at nats://127.0.0.1:" + port), out);
            assertFalse(out.contains("listening on port"), out);
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * The session's events in the room stream, checked: seqs rise by one, except where a takeover's
     * {@code server_restarted} names exactly the seqs it skipped; nothing after the session's close.
     */
    private static List<WalRecord> checkedEvents(String roomId, String session) throws Exception {
        List<WalRecord> events = new ArrayList<>();
        try (Connection c = nats.connect()) {
            long last = c.jetStreamManagement().getLastMessage(ClusterNode.STREAM, StreamJournal.subject(roomId))
                    .getSeq();
            JetStreamSubscription sub = c.jetStream().subscribe(StreamJournal.subject(roomId),
                    PushSubscribeOptions.builder().stream(ClusterNode.STREAM).ordered(true).build());
            for (long seq = 0; seq < last; ) {
                Message m = sub.nextMessage(Duration.ofSeconds(10));
                assertTrue(m != null, "the stream reads back up to " + last);
                seq = m.metaData().streamSequence();
                for (WalRecord r : SessionRecords.unframe(m.getData())) {
                    if (r.type() == WalRecord.Type.EVENT && r.key().equals(session)) {
                        events.add(r);
                    }
                }
            }
            sub.unsubscribe();
        }
        long expected = 1;
        for (WalRecord e : events) {
            if (e.seq() != expected) {
                JsonNode json = ProtocolCodec.mapper().readTree(e.body());
                assertTrue(json.path("type").asText().equals("server_restarted")
                        && json.path("skippedFrom").asLong() == expected
                        && json.path("skippedTo").asLong() == e.seq() - 1,
                        "seq " + e.seq() + " follows " + (expected - 1) + " without a declared skip: " + json);
            }
            expected = e.seq() + 1;
        }
        return events;
    }

    /**
     * Connects as a page does after a 1001: again, a moment later, while the room's takeover is not done (the node
     * answers 1001 again), until welcomed — within 40 s.
     */
    static TestClient resume(String url) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        for (;;) {
            TestClient c = TestClient.connect(url);
            Awaitility.await().atMost(15, TimeUnit.SECONDS).until(() -> !c.ofType("welcome").isEmpty()
                    || c.isClosed());
            if (!c.ofType("welcome").isEmpty()) {
                assertTrue(c.await("welcome").path("resumed").asBoolean(), c.await("welcome").toString());
                return c;
            }
            assertEquals(1001, c.awaitClose(), "a join during a takeover is told to come back: " + c.received());
            assertTrue(System.nanoTime() < until, "resumed within 40 s");
            Thread.sleep(250);
        }
    }

    /** Closes the room; its lease goes once the close is durable (else another test's nodes would take it over). */
    private static void closeAndAwaitLeaseGone(KillableServer owner, String roomId) throws Exception {
        assertEquals(200, owner.admin("DELETE", "/api/rooms/" + roomId, null).statusCode());
        try (Connection c = nats.connect()) {
            io.nats.client.KeyValue kv = c.keyValue(ClusterNode.LEASE_BUCKET);
            Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> kv.get(roomId) == null);
        }
    }

    /** The index of the NATS node leading the room stream. */
    private static int streamLeader() throws Exception {
        try (Connection c = nats.connect()) {
            String leader = c.jetStreamManagement().getStreamInfo(ClusterNode.STREAM).getClusterInfo().getLeader();
            int i = nats.indexOf(leader);
            assertTrue(i >= 0, "stream leader " + leader);
            return i;
        }
    }

    /** Seqs of the room events a client received, in arrival order. */
    private static List<Long> eventSeqs(TestClient c) {
        List<Long> out = new ArrayList<>();
        for (JsonNode m : c.received()) {
            if (m.has("seq") && !m.path("type").asText().equals("welcome")) {
                out.add(m.path("seq").asLong());
            }
        }
        return out;
    }

    private static List<String> namesOf(java.util.Iterator<String> names) {
        List<String> out = new ArrayList<>();
        names.forEachRemaining(out::add);
        return out;
    }

    static long lastSeq(TestClient c) {
        long last = 0;
        for (JsonNode m : c.received()) {
            if (m.has("seq")) {
                last = Math.max(last, m.path("seq").asLong());
            }
        }
        return last;
    }
}
