package dev.improv.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.auth.JoinClaims;
import dev.improv.server.protocol.Role;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * The web pages in a real Chromium against a real server: WebRTC between two performer pages, prompts from the
 * moderator console, speaking marks from the fake microphone, reconnect after a dropped socket, and the human
 * error for an expired link. One server and one browser for the class; each test has its own room.
 */
@Tag("browser")
class WebClientBrowserTest {
    @TempDir
    static Path temp;
    static BrowserRig rig;

    @BeforeAll
    static void start() throws Exception {
        rig = BrowserRig.start(temp);
    }

    @AfterAll
    static void stop() {
        if (rig != null) {
            rig.close();
        }
    }

    @AfterEach
    void closeWindows(org.junit.jupiter.api.TestInfo test) throws Exception {
        if (rig != null) {
            rig.saveConsole(test.getTestMethod().orElseThrow().getName());
            rig.closeWindows();
        }
    }

    static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(40, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(250));
    }

    /** Opens a performer page and presses "Join". */
    static String performer(JsonNode room, int index) {
        String w = rig.open(rig.pageUrl(TestServer.link(room, "performer", index)));
        rig.on(w).findElement(By.id("join-button")).click();
        return w;
    }

    static String text(String window, String id) {
        return rig.on(window).findElement(By.id(id)).getText();
    }

    static boolean connectedWithVideo(String window) {
        List<Map<String, Object>> stats = rig.stats(window);
        return !stats.isEmpty() && stats.stream().allMatch(s -> "connected".equals(s.get("connectionState"))
                && ((Number) s.get("framesDecoded")).longValue() > 0);
    }

    /** Waits for decoded video; on timeout the failure carries the page's peer stats and connection state. */
    static void awaitVideo(String what, String window) {
        try {
            await(what).until(() -> connectedWithVideo(window));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(what + " timed out; stats " + rig.stats(window) + ", state "
                    + rig.js(window, "return JSON.stringify(window.improv.state && window.improv.state())"), e);
        }
    }

    @Test
    void twoPerformersConnectOverWebRtcAndDecodeEachOthersVideo() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"Duet\",\"performers\":[\"Ana\",\"Ben\"]}");
        String ana = performer(room, 0);
        String ben = performer(room, 1);
        awaitVideo("Ana decodes Ben's video", ana);
        awaitVideo("Ben decodes Ana's video", ben);
        for (String w : List.of(ana, ben)) {
            List<Map<String, Object>> stats = rig.stats(w);
            assertEquals(1, stats.size(), "exactly one peer connection: " + stats);
            assertTrue(((Number) stats.get(0).get("audioBytesReceived")).longValue() > 0, "audio arrives too: " + stats);
        }
        rig.screenshot(ana, "perform-connected");
    }

    @Test
    void moderatorPushesAPromptThatBothPerformersShowWithItsCountdown() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"Prompts\",\"performers\":[\"Ana\",\"Ben\"]}");
        String mod = rig.open(rig.pageUrl(TestServer.link(room, "moderator", 0)));
        String ana = performer(room, 0);
        String ben = performer(room, 1);
        await("performers in the moderator's roster").until(() -> rig.on(mod)
                .findElements(By.cssSelector("#roster tbody tr")).size() == 3);
        rig.on(mod);
        await("the prompt library").until(() -> !rig.driver().findElements(By.cssSelector("#library button")).isEmpty());
        rig.driver().findElement(By.id("prompt-text")).sendKeys("A lighthouse keeper meets a lost whale");
        rig.driver().findElement(By.id("duration")).clear();
        rig.driver().findElement(By.id("duration")).sendKeys("90");
        rig.driver().findElement(By.id("push")).click();
        for (String w : List.of(ana, ben)) {
            await("the prompt on a performer page")
                    .until(() -> text(w, "prompt").equals("A lighthouse keeper meets a lost whale"));
            await("the countdown").until(() -> text(w, "countdown").matches("1:[23]\\d"));
        }
        await("the prompt on the timeline").until(() -> !rig.on(mod)
                .findElements(By.cssSelector("#timeline g.prompt")).isEmpty());
        rig.screenshot(ana, "perform-prompt");
    }

    @Test
    void theFakeMicrophoneProducesSpeakingMarksSeenByModeratorAndRecorder() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"Voices\",\"performers\":[\"Ana\"],\"recorders\":2}");
        String roomId = room.path("room").path("id").asText();
        try (TestClient recorder = TestClient.join("ws://" + rig.hostIp + ":" + rig.server().port() + "/ws/rooms/"
                + roomId + "?token=" + TestServer.link(room, "recorder", 1).path("token").asText())) {
            String mod = rig.open(rig.pageUrl(TestServer.link(room, "moderator", 0)));
            String rec = rig.open(rig.pageUrl(TestServer.link(room, "recorder", 0)));
            String ana = performer(room, 0);
            await("speaking marks on the moderator's timeline").until(() -> rig.on(mod)
                    .findElements(By.cssSelector("#timeline rect.span.speaking")).size() >= 2);
            await("the recorder page lists them").until(() -> !rig.on(rec)
                    .findElements(By.cssSelector("#log tr[data-type=mark]")).isEmpty());
            JsonNode mark = recorder.await(m -> m.path("type").asText().equals("mark")
                    && m.path("kind").asText().equals("speaking_start"), "a speaking_start mark");
            assertEquals(TestServer.link(room, "performer", 0).path("participantId").asText(),
                    mark.path("actor").asText());
            await("a speaking_stop follows").until(() -> recorder.ofType("mark").stream()
                    .anyMatch(m -> m.path("kind").asText().equals("speaking_stop")));
            await("marks are placed with the measured clock offset").until(() -> recorder.ofType("mark").stream()
                    .anyMatch(m -> m.has("serverTs")));
            rig.on(ana).findElement(By.id("turn")).click();
            await("a turn span on the timeline").until(() -> !rig.on(mod)
                    .findElements(By.cssSelector("#timeline rect.span.turn")).isEmpty());
            rig.on(mod).findElement(By.cssSelector("#library button")).click();
            rig.driver().findElement(By.id("push")).click();
            await("the library prompt on the timeline").until(() -> !rig.on(mod)
                    .findElements(By.cssSelector("#timeline g.prompt")).isEmpty());
            await("the library prompt reaches the performer").until(() -> text(ana, "prompt")
                    .equals("A lighthouse during a storm"));
            rig.screenshot(rec, "record");
            rig.screenshot(mod, "moderate");
        }
    }

    @Test
    void aPerformerWhoseSocketDropsReconnectsByItselfWithTheRosterIntact() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"Wobbly\",\"performers\":[\"Ana\",\"Ben\"]}");
        String ana = performer(room, 0);
        String ben = performer(room, 1);
        await("Ana connected").until(() -> "connected".equals(rig.js(ana, "return window.improv.state()")));
        await("Ben connected").until(() -> "connected".equals(rig.js(ben, "return window.improv.state()")));
        Supplier<Object> welcomes = () -> rig.js(ana, "return window.improv.welcomes().length");
        assertEquals(1L, welcomes.get());
        rig.js(ana, "window.improv.dropSocket()");
        await("Ana's page welcomed again").until(() -> ((Number) welcomes.get()).intValue() == 2);
        await("Ana connected again").until(() -> "Connected".equals(text(ana, "conn-state")));
        assertEquals(Boolean.TRUE, rig.js(ana, "return window.improv.welcomes()[1].resumed"), "same identity resumed");
        assertEquals(2L, rig.js(ana, "return window.improv.roster().filter(m => m.connected).length"),
                "roster intact: " + rig.js(ana, "return JSON.stringify(window.improv.roster())"));
        await("Ben sees Ana back").until(() -> (Boolean) rig.js(ben,
                "return window.improv.roster().every(m => m.connected)"));
        rig.screenshot(ana, "perform-reconnected");
    }

    @Test
    void anExpiredLinkAndALockedRoomEachSayWhatToDo() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"Closed doors\",\"performers\":[\"Ana\",\"Ben\"]}");
        String roomId = room.path("room").path("id").asText();
        String token = rig.server().parts().tokens().issue(JoinClaims.forRoom(roomId, Role.PERFORMER,
                "p-latecomer1", "Late Larry", Instant.now().getEpochSecond() - 60));
        String late = rig.open(rig.base() + "/perform.html?token=" + token);
        await("the expired-link message").until(() -> text(late, "banner").contains("This link has expired"));
        assertTrue(rig.on(late).findElements(By.cssSelector("video")).isEmpty(), "no camera asked for");
        rig.screenshot(late, "perform-expired");

        // the server's refusal path: a locked room
        String mod = rig.open(rig.pageUrl(TestServer.link(room, "moderator", 0)));
        await("moderator connected").until(() -> "connected".equals(rig.js(mod, "return window.improv.state()")));
        rig.on(mod).findElement(By.id("lock")).click();
        await("locked").until(() -> text(mod, "lock").equals("Unlock room"));
        String ben = performer(room, 1);
        await("the locked-room message").until(() -> text(ben, "banner").contains("The room is locked"));
        rig.on(mod).findElement(By.id("lock")).click();
        await("unlocked").until(() -> text(mod, "lock").equals("Lock room"));
        rig.on(ben).findElement(By.id("retry")).click();
        await("Ben gets in after the unlock").until(() -> "Connected".equals(text(ben, "conn-state")));
    }
}
