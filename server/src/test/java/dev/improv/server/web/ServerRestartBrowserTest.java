package dev.improv.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.TestLocks;
import dev.improv.server.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.openqa.selenium.By;

/**
 * Issue 14's fourth problem, tried as a studio's deploy does it: the server is stopped mid-scene and started again
 * on the same data dir. The performers' media is peer to peer and needs no server, so it must keep flowing while
 * the server is away; every page says "Reconnecting…" (never "This room has ended"), and when the server is back
 * every page resumes the same room: the prompt stays, the next prompt arrives, nobody had to reload.
 */
@Tag("browser")
@ResourceLock(TestLocks.CPU)
class ServerRestartBrowserTest {
    @RegisterExtension
    static final BrowserRig rig = BrowserRig.perClass("--session-log");

    static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(40, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(250));
    }

    static String text(String window, String id) {
        return rig.on(window).findElement(By.id(id)).getText();
    }

    /**
     * Frames decoded from the partner (the console's connection to a performer only receives, so the performer
     * decodes nothing on it); -1 while the pair is not connected.
     */
    static long framesDecoded(String window) {
        return rig.stats(window).stream().filter(s -> "connected".equals(s.get("connectionState")))
                .mapToLong(s -> ((Number) s.get("framesDecoded")).longValue()).filter(n -> n > 0).max().orElse(-1);
    }

    static void pushPrompt(String mod, String prompt) {
        rig.on(mod);
        rig.driver().findElement(By.id("prompt-text")).clear();
        rig.driver().findElement(By.id("prompt-text")).sendKeys(prompt);
        rig.humanClick(rig.driver().findElement(By.id("push")));
    }

    @Test
    void aServerRestartMidSceneKeepsThePerformersMediaUpAndEveryPageResumes() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"Deploy night\",\"performers\":[\"Ana\",\"Ben\"]}");
        String mod = rig.open(rig.pageUrl(TestServer.link(room, "moderator", 0)));
        String ana = rig.open(rig.pageUrl(TestServer.link(room, "performer", 0)));
        rig.joinThroughCheck(ana);
        String ben = rig.open(rig.pageUrl(TestServer.link(room, "performer", 1)));
        rig.joinThroughCheck(ben);
        for (String w : List.of(ana, ben)) {
            await("video both ways").until(() -> framesDecoded(w) > 0);
        }
        await("the moderator's roster").until(() -> rig.on(mod)
                .findElements(By.cssSelector("#roster tbody tr")).size() == 3);
        rig.humanClick(rig.on(mod).findElement(By.id("scene-start")));
        for (String w : List.of(mod, ana, ben)) {
            await("the scene is on").until(() -> text(w, "scene").equals("Scene 1 — on"));
        }
        pushPrompt(mod, "Two astronauts argue about the last biscuit");
        for (String w : List.of(ana, ben)) {
            await("the first prompt").until(() -> text(w, "prompt").equals("Two astronauts argue about the last biscuit"));
        }

        rig.stopServer();
        for (String w : List.of(mod, ana, ben)) {
            await("the page says it is reconnecting").until(() -> text(w, "conn-state").startsWith("Reconnecting"));
        }
        long anaBefore = framesDecoded(ana);
        long benBefore = framesDecoded(ben);
        // the pictures keep coming peer to peer while the server is away
        await("Ana still decodes Ben's video without the server").until(() -> framesDecoded(ana) > anaBefore + 10);
        await("Ben still decodes Ana's video without the server").until(() -> framesDecoded(ben) > benBefore + 10);
        for (String w : List.of(mod, ana, ben)) {
            assertFalse(text(w, "banner").contains("has ended"), "no page ends the scene: " + text(w, "banner"));
        }
        assertEquals("Two astronauts argue about the last biscuit", text(ana, "prompt"), "the prompt stays up");
        assertEquals("Scene 1 — on", text(ana, "scene"), "the scene goes on");

        rig.startServerAgain();
        for (String w : List.of(mod, ana, ben)) {
            await("the page is connected again").until(() -> "Connected".equals(text(w, "conn-state")));
        }
        for (String w : List.of(ana, ben)) {
            assertEquals(2L, rig.js(w, "return window.improv.welcomes().length"), "one more welcome, no reload");
            assertTrue(framesDecoded(w) > 0, "the same peer connection is still up: " + rig.stats(w));
            List<Map<String, Object>> stats = rig.stats(w);
            assertTrue(stats.stream().allMatch(st -> ((Number) st.get("restarts")).longValue() == 0),
                    "media was never replaced: " + stats);
        }
        pushPrompt(mod, "The biscuit turns out to be a radio");
        for (String w : List.of(ana, ben)) {
            await("the next prompt after the restart")
                    .until(() -> text(w, "prompt").equals("The biscuit turns out to be a radio"));
        }
        await("both performers back in the moderator's roster").until(() -> (Boolean) rig.js(mod,
                "return window.improv.roster().filter(m => m.role === 'performer' && m.connected).length === 2"));
        for (String w : List.of(mod, ana, ben)) {
            assertEquals("Scene 1 — on", text(w, "scene"), "the same scene after the restart");
        }
        rig.screenshot(ana, "stage-after-server-restart");
    }
}
