package dev.improv.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.TestLocks;
import dev.improv.server.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.openqa.selenium.By;
import org.openqa.selenium.ScriptTimeoutException;

/**
 * Issue 14's first problem: about one join in six left the two performers blind to each other (an offer
 * collision whose rolled-back side never gathered a candidate). Thirty joins in a row, as the issue asks
 * ({@code -Dnegotiation.joins=N} for a shorter or longer run), each in a new room, in the same two windows; every
 * second one forces the collision (both pages offer at once, {@code offerWaitMs=0}), so the rollback path runs
 * fifteen times on every build, not by chance. Every join must reach
 * "connected" with decoded video both ways. Each page goes through the pre-join check first ("Join", then "Go on
 * stage"); the forced joins press "Go on stage" on both pages at the same instant. The log of each join (time,
 * restarts, the pages' negotiation trace) is written to target/negotiation.log.
 */
@Tag("browser")
@ResourceLock(TestLocks.CPU)
class NegotiationBrowserTest {
    static final int JOINS = Integer.getInteger("negotiation.joins", 30);

    @RegisterExtension
    static final BrowserRig rig = BrowserRig.perClass();

    static List<Map<String, Object>> stats(String window) {
        try {
            return rig.stats(window);
        } catch (ScriptTimeoutException e) {
            return List.of(); // the browser is busy (a loaded machine): ask again at the next poll
        }
    }

    static boolean connectedWithVideo(String window) {
        List<Map<String, Object>> stats = stats(window);
        return stats.size() == 1 && "connected".equals(stats.get(0).get("connectionState"))
                && ((Number) stats.get(0).get("framesDecoded")).longValue() > 0;
    }

    @SuppressWarnings("unchecked")
    static List<String> trace(String window) {
        return (List<String>) rig.js(window, "return window.improv.trace()");
    }

    @Test
    void joinsInARowAllConnectWithVideoBothWaysIncludingForcedOfferCollisions() throws Exception {
        List<String> failed = new ArrayList<>();
        int forcedWithCollision = 0;
        StringBuilder log = new StringBuilder();
        Path out = Files.createDirectories(Path.of("target")).resolve("negotiation.log");
        String anaWindow = null;
        String benWindow = null;
        for (int i = 0; i < JOINS; i++) {
            boolean forced = i % 2 == 1;
            String query = forced ? "&offerWaitMs=0" : "";
            long opened = System.nanoTime();
            JsonNode room = rig.createRoom("{\"name\":\"Duet " + i + "\",\"performers\":[\"Ana\",\"Ben\"]}");
            // the same two windows for every join (a person's tab opening the next link): a new page, new
            // devices, new peer connections each time, without the cost of making and closing windows
            if (anaWindow == null) {
                anaWindow = rig.open(rig.pageUrl(TestServer.link(room, "performer", 0)) + query);
                benWindow = rig.open(rig.pageUrl(TestServer.link(room, "performer", 1)) + query);
            } else {
                rig.on(anaWindow).get(rig.pageUrl(TestServer.link(room, "performer", 0)) + query);
                rig.on(benWindow).get(rig.pageUrl(TestServer.link(room, "performer", 1)) + query);
            }
            String ana = anaWindow;
            String ben = benWindow;
            rig.humanClick(rig.on(ana).findElement(By.id("join-button")));
            rig.humanClick(rig.on(ben).findElement(By.id("join-button")));
            long joinPressed = System.nanoTime();
            rig.awaitCheck(ana);
            rig.awaitCheck(ben);
            long checked = System.nanoTime();
            if (forced) {
                // both pages go on stage at the same instant (one browser, one clock), so both offer at once
                Object at = rig.js(ana, "return Date.now() + 700");
                for (String w : List.of(ana, ben)) {
                    rig.js(w, "setTimeout(() => document.getElementById('go').click(), arguments[0] - Date.now())", at);
                }
            } else {
                rig.humanClick(rig.on(ana).findElement(By.id("go")));
                rig.humanClick(rig.on(ben).findElement(By.id("go")));
            }
            long start = System.nanoTime();
            boolean ok;
            try {
                // generous: on a shared 2-core box under load 40 one Chromium step can take seconds
                Awaitility.await().atMost(90, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(300))
                        .until(() -> connectedWithVideo(ana) && connectedWithVideo(ben));
                ok = true;
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                ok = false;
                failed.add("join " + i + (forced ? " (forced collision)" : ""));
            }
            List<String> traces = new ArrayList<>(trace(ana));
            traces.addAll(trace(ben));
            boolean collided = traces.stream().anyMatch(t -> t.contains("offer collision"));
            if (forced && collided) {
                forcedWithCollision++;
            }
            log.append(String.format("join %d%s: %s in %d ms (pages open %d ms, check ready %d ms), collision %s,"
                    + " stats %s %s%n", i, forced ? " forced" : "", ok ? "connected" : "NOT CONNECTED",
                    (System.nanoTime() - start) / 1_000_000, (joinPressed - opened) / 1_000_000,
                    (checked - joinPressed) / 1_000_000, collided, stats(ana), stats(ben)));
            log.append("  ").append(String.join("\n  ", traces)).append('\n');
            Files.writeString(out, log);
        }
        assertEquals(List.of(), failed, "joins that did not connect (see target/negotiation.log)");
        assertTrue(forcedWithCollision > 0, "the forced joins really made both pages offer at once");
    }
}
