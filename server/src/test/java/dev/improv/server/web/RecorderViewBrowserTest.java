package dev.improv.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.testing.TestClient;
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
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;

/**
 * The recorder view (record.html, issue 14 "filters by type and performer, pause, search, readable on a phone") in
 * a real Chromium, driven as a person would: every click is a press, a ~100 ms hold and a release, text is typed
 * key by key. The room's events come from Java clients (two performers who speak a lot, a moderator who pushes
 * prompts), so the page has what drowned the old view: many speaking marks.
 */
@Tag("browser")
@ResourceLock(TestLocks.CPU)
class RecorderViewBrowserTest {
    @RegisterExtension
    static final BrowserRig rig = BrowserRig.perClass().consolePrefix("recorder-view-");

    static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(40, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200));
    }

    /** A person's click: move there, press, hold about 100 ms, release. */
    static void humanClick(WebElement target) {
        new Actions(rig.driver()).moveToElement(target).pause(Duration.ofMillis(120)).clickAndHold()
                .pause(Duration.ofMillis(100)).release().perform();
    }

    /** Typing at a person's pace: one key every ~80 ms. */
    static void humanType(WebElement field, String text) {
        humanClick(field);
        Actions keys = new Actions(rig.driver());
        for (char c : text.toCharArray()) {
            keys.sendKeys(String.valueOf(c)).pause(Duration.ofMillis(80));
        }
        keys.perform();
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> shown(String window) {
        return (List<Map<String, Object>>) rig.js(window, "return window.improv.shown()");
    }

    static long count(String window, String script) {
        return ((Number) rig.js(window, script)).longValue();
    }

    static WebElement chip(String window, String group) {
        return rig.on(window).findElement(By.cssSelector("#types button[data-group='" + group + "']"));
    }

    private static void speak(TestClient performer, int times) {
        for (int i = 0; i < times; i++) {
            performer.send("{\"type\":\"mark\",\"kind\":\"speaking_start\",\"clientTs\":" + (1_700_000_000_000_000L + i)
                    + "}");
            performer.send("{\"type\":\"mark\",\"kind\":\"speaking_stop\",\"clientTs\":" + (1_700_000_000_000_500L + i)
                    + "}");
        }
    }

    @Test
    void filtersPauseAndSearchTakeAPersonsClicksAndThePhoneLayoutReads() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"Night shift\",\"performers\":[\"Ana\",\"Ben\"],\"recorders\":1}");
        try (TestClient ana = TestClient.join(rig.roomSocketUrl(room, TestServer.link(room, "performer", 0)));
             TestClient ben = TestClient.join(rig.roomSocketUrl(room, TestServer.link(room, "performer", 1)));
             TestClient mod = TestClient.join(rig.roomSocketUrl(room, TestServer.link(room, "moderator", 0)))) {
            String anaId = TestServer.link(room, "performer", 0).path("participantId").asText();
            String benId = TestServer.link(room, "performer", 1).path("participantId").asText();
            mod.send("{\"type\":\"prompt\",\"text\":\"A lighthouse keeper meets a lost whale\",\"durationMs\":60000}");
            mod.send("{\"type\":\"scene_start\",\"title\":\"Lighthouse\"}");
            ana.send("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":1700000000000000}");
            speak(ana, 20);
            speak(ben, 15);
            ben.send("{\"type\":\"mark\",\"kind\":\"turn_start\",\"clientTs\":1700000000001000}");
            // joined ×4 (the recorder page too), prompt + scene, turn, Ana's and Ben's speaking marks, turn
            long expected = 4 + 2 + 1 + 40 + 30 + 1;
            mod.await(m -> m.path("type").asText().equals("mark") && m.path("kind").asText().equals("turn_start")
                    && m.path("actor").asText().equals(benId), "the last event");

            String rec = rig.open(rig.pageUrl(TestServer.link(room, "recorder", 0)));
            rig.driver().manage().window().setSize(new Dimension(1366, 768));
            await("the whole session is on the page").until(() -> shown(rec).size() >= expected);
            assertEquals("Connected", rig.on(rec).findElement(By.id("conn-state")).getText());

            // names, never ids
            List<Map<String, Object>> all = shown(rec);
            assertTrue(all.stream().anyMatch(r -> "Ana joined as a performer".equals(r.get("summary"))), all.toString());
            for (Map<String, Object> r : all) {
                String text = r.get("actor") + " " + r.get("summary");
                assertFalse(text.contains(anaId) || text.contains(benId), "an id instead of a name: " + r);
            }

            // filter by type: hide the speaking marks with one human click
            WebElement speaking = chip(rec, "mark:speaking");
            assertTrue(speaking.getText().contains("70"), "the chip counts them: " + speaking.getText());
            humanClick(speaking);
            await("speaking marks hidden").until(() -> shown(rec).stream()
                    .noneMatch(r -> "mark:speaking".equals(r.get("group"))));
            assertEquals("false", chip(rec, "mark:speaking").getAttribute("aria-pressed"));
            assertEquals(expected - 70, shown(rec).size());
            assertTrue(rig.on(rec).findElement(By.id("shown")).getText().contains("of " + expected),
                    rig.on(rec).findElement(By.id("shown")).getText());
            rig.screenshotSizes(rec, "recorder-filtered");

            // filter by performer: Ben's events and the room-wide ones (prompt, scene)
            new Select(rig.on(rec).findElement(By.id("performer"))).selectByVisibleText("Ben");
            await("only Ben and the room").until(() -> shown(rec).stream().allMatch(r -> "Ben".equals(r.get("actor"))
                    || List.of("prompt", "scene_started").contains(r.get("type"))));
            assertTrue(shown(rec).stream().anyMatch(r -> "mark:turn".equals(r.get("group"))
                    && "Ben".equals(r.get("actor"))), "Ben's turn mark: " + shown(rec));
            new Select(rig.driver().findElement(By.id("performer"))).selectByVisibleText("Everyone");

            // search: typed at a person's pace
            humanType(rig.on(rec).findElement(By.id("search")), "whale");
            await("only the prompt matches").until(() -> shown(rec).size() == 1
                    && "prompt".equals(shown(rec).get(0).get("type")));
            rig.on(rec).findElement(By.id("search")).clear();
            humanType(rig.on(rec).findElement(By.id("search")), " ");
            await("the search cleared").until(() -> shown(rec).size() == expected - 70);

            // pause: live events are held back and counted, resume shows them; the download has them all along
            WebElement pause = rig.on(rec).findElement(By.id("pause"));
            humanClick(pause);
            assertEquals("true", pause.getAttribute("aria-pressed"));
            int before = shown(rec).size();
            mod.send("{\"type\":\"prompt\",\"text\":\"Now a storm\"}");
            ben.send("{\"type\":\"mark\",\"kind\":\"turn_end\",\"clientTs\":1700000000002000}");
            mod.send("{\"type\":\"scene_end\"}");
            // four: the three sent, and the take_ended the server adds when a scene ends (docs/recording.md)
            int added = 4;
            await("four events held while paused").until(() -> count(rec, "return window.improv.held()") == added);
            assertEquals(before, shown(rec).size(), "nothing new shown while paused");
            assertEquals("Resume (" + added + " new)", pause.getText());
            assertTrue(rig.on(rec).findElement(By.id("paused-note")).getText().contains(added + " new events"),
                    rig.on(rec).findElement(By.id("paused-note")).getText());
            assertEquals(expected + added, count(rec, "return window.improv.lines().length"), "received and kept");
            humanClick(pause);
            await("resumed: the held events are shown").until(() -> shown(rec).size() == before + added);
            assertEquals("Pause", pause.getText());
            // the held events, in the room's order (two senders: their relative order is the server's)
            List<Map<String, Object>> rows = shown(rec);
            List<Map<String, Object>> resumed = rows.subList(before, before + added);
            assertTrue(resumed.stream().anyMatch(r -> "“Now a storm”".equals(r.get("summary"))), resumed.toString());
            assertTrue(resumed.stream().anyMatch(r -> "Ben ends the turn".equals(r.get("summary"))), resumed.toString());
            for (int i = 1; i < rows.size(); i++) {
                assertTrue(((Number) rows.get(i).get("seq")).longValue()
                        > ((Number) rows.get(i - 1).get("seq")).longValue(), "rows in seq order: " + rows);
            }

            // the phone: no sideways scrolling, the chips fold away, targets a finger can hit
            rig.driver().manage().window().setSize(new Dimension(390, 844));
            rig.driver().navigate().refresh();
            await("reloaded on the phone").until(() -> shown(rec).size() >= expected + 4);
            assertEquals(Boolean.FALSE, rig.js(rec, "return document.getElementById('types-box').open"),
                    "the type chips are folded on a phone");
            rig.screenshot(rec, "recorder-view-390x844"); // what a phone shows first
            humanClick(rig.on(rec).findElement(By.cssSelector("#types-box summary")));
            humanClick(chip(rec, "mark:speaking"));
            await("speaking marks hidden on the phone").until(() -> shown(rec).stream()
                    .noneMatch(r -> "mark:speaking".equals(r.get("group"))));
            assertEquals(Boolean.TRUE, rig.js(rec, "return document.documentElement.scrollWidth <= window.innerWidth"),
                    "no sideways scrolling at 390 px: " + rig.js(rec, "return document.documentElement.scrollWidth"));
            for (WebElement b : rig.driver().findElements(By.cssSelector("button, select, input"))) {
                if (b.isDisplayed()) {
                    assertTrue(b.getSize().getHeight() >= 44, "touch target " + b.getAttribute("id") + " "
                            + b.getText() + ": " + b.getSize());
                }
            }
            Number summaryWidth = (Number) rig.js(rec, "const td = document.querySelector('#log tbody tr td.summary');"
                    + " return td.getBoundingClientRect().width");
            assertTrue(summaryWidth.doubleValue() >= 300, "details take the phone's width, not a few letters: "
                    + summaryWidth);
            rig.driver().manage().window().setSize(new Dimension(1366, 768));
            Thread.sleep(400); // one layout at the new size
            rig.screenshot(rec, "recorder-view-1366x768");
        }
    }
}
