package dev.improv.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestLocks;
import dev.improv.server.testing.TestServer;
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

/**
 * The moderator console shows a live quality flag at once, in words, with the performer's name, and stays free of
 * serious accessibility violations with the flag on it (axe at phone and laptop size). The performers are plain
 * WebSockets (no media: the console needs none for this); the thresholds are scaled down so the take is short.
 */
@Tag("browser")
@ResourceLock(TestLocks.CPU)
class QualityConsoleBrowserTest {
    @RegisterExtension
    static final BrowserRig rig = BrowserRig.perClass(
            "--qc-interval-ms", "200", "--qc-min-take-s", "1", "--qc-long-silence-s", "60");

    @Test
    void theConsoleShowsASilentPerformerAtOnceInWordsWithTheirName() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"QC\",\"performers\":[\"Ana\",\"Ben\"],\"moderators\":[\"Mo\"]}");
        String mod = rig.open(rig.pageUrl(TestServer.link(room, "moderator", 0)));
        try (TestClient ana = TestClient.join(rig.roomSocketUrl(room, TestServer.link(room, "performer", 0)));
             TestClient ben = TestClient.join(rig.roomSocketUrl(room, TestServer.link(room, "performer", 1)))) {
            Awaitility.await("the console sees both").atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200))
                    .until(() -> rig.on(mod).findElements(By.cssSelector("#roster tbody tr")).size() >= 3);
            rig.humanClick(rig.on(mod).findElement(By.id("scene-start")));
            ana.await("scene_started");
            ana.send("{\"type\":\"mark\",\"kind\":\"speaking_start\",\"clientTs\":" + System.currentTimeMillis() * 1000
                    + "}");
            Awaitility.await("Ben's flag on the console").atMost(30, TimeUnit.SECONDS)
                    .pollInterval(Duration.ofMillis(100)).until(() -> rig.on(mod)
                            .findElements(By.cssSelector("#quality-flags li[data-flag='mostly_silent']")).size() == 1);
            String text = rig.on(mod).findElement(By.cssSelector("#quality-flags li[data-flag='mostly_silent']"))
                    .getText();
            assertTrue(text.startsWith("Ben says very little: speaking 0 % of the scene so far"), text);
            assertTrue(rig.on(mod).findElement(By.id("quality-summary")).getText().startsWith("Scene 1:"),
                    rig.on(mod).findElement(By.id("quality-summary")).getText());
            assertEquals("polite", rig.on(mod).findElement(By.id("quality-flags")).getAttribute("aria-live"));
            List<String> serious = new ArrayList<>();
            rig.atSizes(mod, size -> {
                for (Map<String, Object> v : rig.axe(mod)) {
                    if ("serious".equals(v.get("impact")) || "critical".equals(v.get("impact"))) {
                        serious.add(size + ": " + v.get("id") + " " + v.get("nodes"));
                    }
                }
            });
            assertEquals(List.of(), serious);
        }
    }
}
