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
import java.util.LinkedHashMap;
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
 * The automated accessibility check of issue 14: axe-core (from npm, loaded into the page by the test only) on the
 * stage (pre-join check and live scene), the moderator console, the lobby (a performer's consent step and a
 * moderator's pool view) and the recorder page, each at 390×844 and 1366×768, in a room that is really running
 * (two performers connected with video, a prompt, a scene). No violation of impact "serious" or "critical" is
 * allowed. Screenshots of every page at both sizes go to target/screenshots/{page}-{w}x{h}.png, and the full axe
 * report (all impacts) to target/screenshots/axe-report.txt.
 */
@Tag("browser")
@ResourceLock(TestLocks.CPU)
class AccessibilityBrowserTest {
    @RegisterExtension
    static final BrowserRig rig = BrowserRig.perClass();

    static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(300));
    }

    /** This page decodes video from each of these peers (a performer's page also sends to the console). */
    static boolean decodesVideoFrom(String window, String... peers) {
        List<Map<String, Object>> stats = rig.stats(window);
        return List.of(peers).stream().allMatch(id -> stats.stream().anyMatch(s -> id.equals(s.get("peer"))
                && "connected".equals(s.get("connectionState")) && ((Number) s.get("framesDecoded")).longValue() > 0));
    }

    /** Violations accepted on a page, by rule name: none today (keep it empty unless a note says why). */
    static final Map<String, java.util.Set<String>> KNOWN_ELSEWHERE = Map.of();

    /** page name -> "size: violation …" lines of impact serious or critical. */
    final Map<String, List<String>> serious = new LinkedHashMap<>();
    final StringBuilder report = new StringBuilder();

    /** axe at both sizes, with a screenshot at each. */
    void check(String window, String name) throws Exception {
        rig.atSizes(window, size -> {
            String at = size.getWidth() + "x" + size.getHeight();
            rig.js(window, "window.scrollTo(0, 0)");
            rig.screenshot(window, name + "-" + at);
            List<Map<String, Object>> violations = rig.axe(window);
            report.append("== ").append(name).append(' ').append(at).append(": ").append(violations.size())
                    .append(" violations\n");
            for (Map<String, Object> v : violations) {
                String line = v.get("impact") + " " + v.get("id") + " (" + v.get("help") + "): " + v.get("nodes");
                report.append("  ").append(line).append('\n');
                boolean known = KNOWN_ELSEWHERE.getOrDefault(name, java.util.Set.of()).contains(v.get("id"));
                if (known) {
                    report.append("    (known, in a file of the recorder page's own branch)\n");
                } else if ("serious".equals(v.get("impact")) || "critical".equals(v.get("impact"))) {
                    serious.computeIfAbsent(name, k -> new ArrayList<>()).add(at + ": " + line);
                }
            }
        });
    }

    @Test
    void stageConsoleLobbyAndRecorderHaveNoSeriousAccessibilityViolationsOnPhoneAndLaptop() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"Checked\",\"performers\":[\"Ana\",\"Ben\"],\"moderators\":[\"Mo\"]}");
        String mod = rig.open(rig.pageUrl(TestServer.link(room, "moderator", 0)));
        String rec = rig.open(rig.pageUrl(TestServer.link(room, "recorder", 0)));
        String ana = rig.open(rig.pageUrl(TestServer.link(room, "performer", 0)));
        String ben = rig.open(rig.pageUrl(TestServer.link(room, "performer", 1)));
        check(ana, "stage-join");
        rig.humanClick(rig.on(ana).findElement(By.id("join-button")));
        rig.awaitCheck(ana);
        await("the network test").until(() -> !rig.on(ana).findElement(By.id("network")).getText().startsWith("Testing"));
        check(ana, "stage-check");
        rig.goOnStage(ana);
        rig.joinThroughCheck(ben);
        String anaId = TestServer.link(room, "performer", 0).path("participantId").asText();
        String benId = TestServer.link(room, "performer", 1).path("participantId").asText();
        await("Ana sees Ben").until(() -> decodesVideoFrom(ana, benId));
        await("Ben sees Ana").until(() -> decodesVideoFrom(ben, anaId));
        await("the console sees both").until(() -> decodesVideoFrom(mod, anaId, benId));
        rig.on(mod);
        rig.driver().findElement(By.id("scene-title")).sendKeys("Lighthouse");
        rig.humanClick(rig.driver().findElement(By.id("scene-start")));
        await("the prompt library").until(() -> !rig.driver().findElements(By.cssSelector("#library button")).isEmpty());
        rig.driver().findElement(By.id("prompt-text")).sendKeys("A lighthouse keeper meets a lost whale");
        rig.humanClick(rig.driver().findElement(By.id("push")));
        await("the prompt on Ana's stage").until(() -> rig.on(ana).findElement(By.id("prompt")).getText()
                .equals("A lighthouse keeper meets a lost whale"));
        await("the pair reported on the console").until(() -> "connected".equals(rig.js(mod,
                "const p = window.improv.pairs(); return p.length === 1 ? p[0].kind : null")));
        check(ana, "stage");
        check(mod, "console");
        // the rest without live video: four pages decoding and encoding starve a 2-core box (at load 36 a
        // renderer did not answer a window command for 60 s); the recorder's log keeps the whole session anyway
        for (String w : List.of(ana, ben, mod)) {
            rig.close(w);
        }
        check(rec, "recorder");

        rig.admin("POST", "/api/pools", "{\"id\":\"a11y-pool\",\"consentVersion\":1,"
                + "\"consentText\":\"We record your audio and the room's events for research.\",\"roomSize\":2}");
        String lobby = rig.open(rig.pageUrl(lobbyLink("performer", "Cleo")));
        await("the consent step").until(() -> "consent".equals(rig.js(lobby, "return window.improv.phase()")));
        check(lobby, "lobby");
        String pool = rig.open(rig.pageUrl(lobbyLink("moderator", "Mo")));
        await("the pool view").until(() -> "pool".equals(rig.js(pool, "return window.improv.phase()")));
        check(pool, "lobby-pool");

        Path dir = Files.createDirectories(Path.of("target", "screenshots"));
        Files.writeString(dir.resolve("axe-report.txt"), report);
        assertEquals(Map.of(), serious, "serious or critical axe violations (full report in "
                + "target/screenshots/axe-report.txt)");
        for (String page : List.of("stage", "console", "recorder", "lobby")) {
            for (String size : List.of("390x844", "1366x768")) {
                assertTrue(Files.size(dir.resolve(page + "-" + size + ".png")) > 0, page + " " + size);
            }
        }
    }

    static JsonNode lobbyLink(String role, String name) throws Exception {
        var r = rig.admin("POST", "/api/pools/a11y-pool/links", "{\"role\":\"" + role + "\",\"name\":\"" + name + "\"}");
        assertEquals(201, r.statusCode(), r.body());
        return dev.improv.server.protocol.ProtocolCodec.mapper().readTree(r.body());
    }
}
