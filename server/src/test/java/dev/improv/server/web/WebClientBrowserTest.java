package dev.improv.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.auth.JoinClaims;
import dev.improv.server.protocol.Role;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestLocks;
import dev.improv.server.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;

/**
 * The web pages in a real Chromium against a real server: WebRTC between two performer pages, prompts from the
 * moderator console, speaking marks from the fake microphone, reconnect after a dropped socket, and the human
 * error for an expired link; the console's media, refusals and clicks. One server and one browser for the class;
 * each test has its own room.
 */
@Tag("browser")
@ResourceLock(TestLocks.CPU)
class WebClientBrowserTest {
    @RegisterExtension
    static final BrowserRig rig = BrowserRig.perClass();

    static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(40, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(250));
    }

    /** Opens a performer page and takes it through "Join" and the pre-join check onto the stage. */
    static String performer(JsonNode room, int index) {
        String w = rig.open(rig.pageUrl(TestServer.link(room, "performer", index)));
        rig.joinThroughCheck(w);
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
        rig.screenshotSizes(ana, "stage");
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
            // counting down from the prompt's 90 s (how far it got depends on how busy the shared box is)
            await("the countdown").until(() -> text(w, "countdown").matches("[01]:\\d\\d")
                    && secondsLeft(text(w, "countdown")) > 0 && secondsLeft(text(w, "countdown")) <= 90);
        }
        await("the prompt on the timeline").until(() -> !rig.on(mod)
                .findElements(By.cssSelector("#timeline g.prompt")).isEmpty());
        for (String w : List.of(ana, ben)) {
            // the cue: screen readers hear it (a live region), the box flashes, and the chime played
            assertEquals("New prompt: A lighthouse keeper meets a lost whale, 90 seconds", text(w, "announce"));
            assertEquals("assertive", rig.on(w).findElement(By.id("announce")).getAttribute("aria-live"));
            assertTrue(rig.on(w).findElement(By.id("prompt-box")).getAttribute("class").contains("cue"));
            List<Map<String, Object>> cues = list(w, "window.improv.cues()");
            assertEquals(1, cues.size(), cues.toString());
            assertEquals(Boolean.TRUE, cues.get(0).get("sound"), "the chime played: " + cues);
        }
        // names, never ids: the partner's tile carries the name from the link
        await("Ben's tile on Ana's stage").until(() -> rig.on(ana)
                .findElements(By.cssSelector(".tile:not([data-peer=local]) .name")).stream()
                .anyMatch(e -> e.getText().equals("Ben")));
        rig.screenshot(ana, "perform-prompt");
        rig.screenshotSizes(ana, "stage-prompt");

        // Leave asks first, and works from the keyboard: Enter opens the question with the focus on "Stay",
        // Escape keeps the person in the room; Tab to "Leave the room" and Enter leaves
        rig.js(ana, "document.getElementById('leave').focus()");
        new Actions(rig.driver()).sendKeys(Keys.ENTER).perform();
        await("the leave question").until(() -> Boolean.TRUE.equals(rig.js(ana,
                "return document.getElementById('leave-dialog').open")));
        assertEquals("leave-stay", rig.js(ana, "return document.activeElement.id"));
        rig.screenshot(ana, "stage-leave-question");
        new Actions(rig.driver()).sendKeys(Keys.ESCAPE).perform();
        await("the question closed").until(() -> Boolean.FALSE.equals(rig.js(ana,
                "return document.getElementById('leave-dialog').open")));
        assertEquals("connected", rig.js(ana, "return window.improv.state()"), "still in the room");
        rig.js(ana, "document.getElementById('leave').focus()");
        // as a person does: press Enter, see the question (on a loaded box it can take longer than a fixed pause:
        // a Tab sent before the dialog opened moved the focus on the page instead), then Tab and Enter
        new Actions(rig.driver()).sendKeys(Keys.ENTER).perform();
        await("the leave question again").until(() -> "leave-stay".equals(rig.js(ana,
                "return document.getElementById('leave-dialog').open ? document.activeElement.id : null")));
        new Actions(rig.driver()).sendKeys(Keys.TAB).pause(Duration.ofMillis(150)).sendKeys(Keys.ENTER).perform();
        await("Ana left").until(() -> text(ana, "banner").contains("You left the room"));
        assertEquals(List.of(), rig.js(ana, "return window.improv.devices()"), "camera and microphone released");
        await("Ben sees Ana go").until(() -> !((String) rig.js(ben,
                "return JSON.stringify(window.improv.roster().map(m => m.name))")).contains("Ana"));
    }

    static int secondsLeft(String countdown) {
        String[] parts = countdown.split(":");
        return Integer.parseInt(parts[0]) * 60 + Integer.parseInt(parts[1]);
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
            // two more prompts a moment later: on the timeline the labels share the row instead of drawing over
            // each other (issue 14 found them smeared into one another)
            int before = rig.on(mod).findElements(By.cssSelector("#timeline g.prompt")).size();
            for (String more : List.of("A second prompt right behind the first", "And a third one just after")) {
                rig.on(mod).findElement(By.id("prompt-text")).clear();
                rig.on(mod).findElement(By.id("prompt-text")).sendKeys(more);
                rig.on(mod).findElement(By.id("push")).click();
                await("the prompt reaches the performer").until(() -> text(ana, "prompt").equals(more));
            }
            await("two more prompts on the timeline").until(() -> rig.on(mod)
                    .findElements(By.cssSelector("#timeline g.prompt")).size() == before + 2);
            Object overlaps = rig.js(mod, "const boxes = [...document.querySelectorAll('#timeline text.prompt-label')]"
                    + ".map((e) => e.getBBox());"
                    + "return boxes.filter((b, i) => i > 0 && boxes[i - 1].x + boxes[i - 1].width > b.x + 0.5).length;");
            assertEquals(0L, ((Number) overlaps).longValue(), "prompt labels drawn over each other on the timeline");
            rig.screenshot(rec, "record");
            rig.screenshot(mod, "moderate");
            rig.screenshotSizes(rec, "recorder");
            rig.screenshotSizes(mod, "console");
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
        assertEquals(List.of(), rig.js(late, "return window.improv.devices()"), "no camera asked for");
        assertTrue(rig.on(late).findElements(By.id("join-button")).stream().noneMatch(WebElement::isDisplayed));
        rig.screenshot(late, "perform-expired");

        // a tampered link: its claims read fine, but the page asks the server, which refuses the signature
        String good = rig.server().parts().tokens().issue(JoinClaims.forRoom(roomId, Role.PERFORMER,
                "p-tamperer01", "Tampering Tom", Instant.now().getEpochSecond() + 3600));
        int at = good.length() - 5; // inside the signature, clear of the last character's unused bits
        String tampered = good.substring(0, at) + (good.charAt(at) == 'A' ? 'B' : 'A') + good.substring(at + 1);
        String forged = rig.open(rig.base() + "/perform.html?token=" + tampered);
        await("the invalid-link message").until(() -> text(forged, "banner").contains("This link is not valid"));
        assertTrue(rig.on(forged).findElements(By.id("join-button")).stream().noneMatch(WebElement::isDisplayed),
                "no join offered for a link the server refused");

        // the server's refusal path: a locked room
        String mod = rig.open(rig.pageUrl(TestServer.link(room, "moderator", 0)));
        await("moderator connected").until(() -> "connected".equals(rig.js(mod, "return window.improv.state()")));
        rig.on(mod).findElement(By.id("lock")).click();
        await("locked").until(() -> text(mod, "lock").equals("Unlock room"));
        String ben = rig.open(rig.pageUrl(TestServer.link(room, "performer", 1)));
        rig.humanClick(rig.on(ben).findElement(By.id("join-button")));
        await("the locked-room message").until(() -> text(ben, "banner").contains("The room is locked"));
        // the room refused the join: the camera and microphone were never asked for
        Thread.sleep(500);
        assertEquals(List.of(), rig.js(ben, "return window.improv.devices()"), "no devices before the join is accepted");
        assertEquals("joining", rig.js(ben, "return window.improv.phase()"));
        assertTrue(rig.on(ben).findElements(By.id("check")).stream().noneMatch(WebElement::isDisplayed));
        rig.on(mod).findElement(By.id("lock")).click();
        await("unlocked").until(() -> text(mod, "lock").equals("Lock room"));
        rig.humanClick(rig.on(ben).findElement(By.id("retry")));
        await("Ben gets in after the unlock").until(() -> "Connected".equals(text(ben, "conn-state")));

        // the pre-join check, now that the room has let him in: pickers, preview, level, network test
        rig.awaitCheck(ben);
        assertEquals(List.of("video", "audio"), rig.js(ben, "return window.improv.devices().sort().reverse()"));
        assertTrue(((Number) rig.js(ben, "return document.querySelectorAll('#camera option').length")).intValue() >= 1);
        assertTrue(((Number) rig.js(ben, "return document.querySelectorAll('#microphone option').length")).intValue() >= 1);
        assertTrue(((String) rig.js(ben, "return document.querySelector('#camera option').textContent")).length() > 0);
        await("the preview plays").until(() -> ((Number) rig.js(ben,
                "return document.getElementById('preview').videoWidth")).intValue() > 0);
        await("the level meter moves with the fake microphone").until(() -> text(ben, "level-hint")
                .equals("Your microphone works."));
        await("the network test").until(() -> text(ben, "network").startsWith("Good: server round trip "));
        assertTrue(text(ben, "network").contains("direct connections"), text(ben, "network"));
        Map<?, ?> network = (Map<?, ?>) rig.js(ben, "return window.improv.network()");
        assertTrue(((List<?>) network.get("candidateTypes")).contains("host"), network.toString());
        // another microphone from the picker replaces the track (Chromium's fake devices offer several)
        Object mics = rig.js(ben, "return [...document.querySelectorAll('#microphone option')].map(o => o.value)");
        if (mics instanceof List<?> l && l.size() > 1) {
            String before = (String) rig.js(ben, "return document.getElementById('microphone').value");
            String other = l.stream().map(String::valueOf).filter(v -> !v.equals(before)).findFirst().orElseThrow();
            rig.js(ben, "const s = document.getElementById('microphone'); s.value = arguments[0];"
                    + " s.dispatchEvent(new Event('change'));", other);
            await("the other microphone in use").until(() -> other.equals(rig.js(ben,
                    "return window.improv.devices().length === 2 && document.getElementById('microphone').value")));
        }
        rig.screenshotSizes(ben, "stage-check");
        assertEquals(0L, rig.js(ben, "return window.improv.marksSent().speaking_start"),
                "no speaking marks from the check");
        rig.goOnStage(ben);
    }
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(String window, String script) {
        return (List<Map<String, Object>>) rig.js(window, "return " + script + ";");
    }

    static String moderator(JsonNode room) {
        String mod = rig.open(rig.pageUrl(TestServer.link(room, "moderator", 0)));
        await("moderator connected").until(() -> "connected".equals(rig.js(mod, "return window.improv.state()")));
        return mod;
    }

    @Test
    void theModeratorSeesAndHearsBothPerformers() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"Watched\",\"performers\":[\"Ana\",\"Ben\"]}");
        String mod = moderator(room);
        performer(room, 0);
        String ben = performer(room, 1);
        await("the console decodes both performers' video and receives their sound").until(() -> {
            List<Map<String, Object>> stats = rig.stats(mod);
            return stats.size() == 2 && stats.stream().allMatch(s -> "connected".equals(s.get("connectionState"))
                    && ((Number) s.get("framesDecoded")).longValue() > 0
                    && ((Number) s.get("audioBytesReceived")).longValue() > 0);
        });
        await("each tile says so in words").until(() -> rig.on(mod).findElements(By.cssSelector("#performers .tile .state"))
                .stream().map(WebElement::getText).filter("Picture and sound"::equals).count() == 2);
        // and the pair between the two performers, as their own pages report it (media_state)
        await("the pair Ana ↔ Ben connected both ways").until(() -> {
            List<Map<String, Object>> pairs = list(mod, "window.improv.pairs()");
            return pairs.size() == 1 && "Connected: picture and sound both ways".equals(pairs.get(0).get("text"));
        });
        Map<String, Object> pair = list(mod, "window.improv.pairs()").get(0);
        assertEquals("connected", pair.get("kind"));
        assertEquals("Ana sees and hears Ben · Ben sees and hears Ana", pair.get("details"));
        assertEquals("Ana ↔ Ben", rig.on(mod).findElement(By.cssSelector("#pairs .pair-name")).getText());
        assertTrue(rig.on(mod).findElement(By.cssSelector("#roster tbody")).getText()
                .contains("with Ben: all good"), "the roster says it too");
        // Ben's page goes away: the pair says so, then recovers by itself when he is back
        rig.js(ben, "window.improv.dropSocket()");
        await("Ben back").until(() -> "connected".equals(rig.js(ben, "return window.improv.state()")));
        await("the pair is reported again after Ben's reconnect").until(() -> {
            List<Map<String, Object>> pairs = list(mod, "window.improv.pairs()");
            return pairs.size() == 1 && "connected".equals(pairs.get(0).get("kind"));
        });
        assertTrue(text(mod, "recording").contains("events only"), "no media recorder in this room: " + text(mod, "recording"));
        rig.screenshotSizes(mod, "console-media");
    }

    @Test
    void aPromptTheServerRefusesIsShownToTheModeratorAndIsNotResentAfterAReconnect() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"Refusals\",\"performers\":[\"Ana\"]}");
        String mod = moderator(room);
        // the field itself keeps to the server's limit
        rig.on(mod).findElement(By.id("prompt-text")).sendKeys("Two clocks argue about the time");
        rig.driver().findElement(By.id("duration")).clear();
        rig.driver().findElement(By.id("duration")).sendKeys("5000");
        rig.driver().findElement(By.id("push")).click();
        await("the field's limit is explained").until(() -> text(mod, "prompt-status").contains("at most 3600 seconds"));
        assertTrue(list(mod, "window.improv.sentLog()").stream().noneMatch(m -> "prompt".equals(m.get("type"))),
                "nothing sent for an out-of-range field");
        // what an older or hand-made client could still send: the server refuses it and names the message
        rig.js(mod, "window.improv.send({type: 'prompt', text: 'Two clocks argue about the time', durationMs: 5000000})");
        await("the refusal is shown, tied to the prompt").until(() -> text(mod, "prompt-status")
                .contains("The server refused your prompt") && text(mod, "banner").contains("durationMs"));
        List<Map<String, Object>> refusals = list(mod, "window.improv.refusals()");
        assertEquals(1, refusals.size(), refusals.toString());
        assertEquals("durationMs", refusals.get(0).get("field"));
        assertEquals(List.of(), rig.js(mod, "return window.improv.unacked()"), "a refused message leaves the resend queue");
        rig.js(mod, "window.improv.dropSocket()");
        await("reconnected").until(() -> "connected".equals(rig.js(mod, "return window.improv.state()"))
                && "Connected".equals(text(mod, "conn-state")));
        Thread.sleep(1000); // a resend would be answered by a second refusal within this time
        assertTrue(list(mod, "window.improv.sentLog()").stream().noneMatch(m -> Boolean.TRUE.equals(m.get("resend"))),
                "nothing resent: " + list(mod, "window.improv.sentLog()"));
        assertEquals(1, ((List<?>) rig.js(mod, "return window.improv.refusals()")).size(), "no second refusal");
    }

    /** A person's click: press, hold about 100 ms, release (a script's instant click would hide lost clicks). */
    static void humanClick(WebElement target) {
        rig.humanClick(target);
    }

    static String memberField(String mod, String id, String key) {
        return String.valueOf(rig.js(mod, "const m = window.improv.roster().find(m => m.id === arguments[0]); "
                + "return m ? String(m[arguments[1]]) : 'gone';", id, key));
    }

    @Test
    void muteAndKickTakeOneHumanClickWhilePerformersSpeak() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"Clicks\",\"performers\":[\"Ana\",\"Ben\"]}");
        String mod = moderator(room);
        String anaId = TestServer.link(room, "performer", 0).path("participantId").asText();
        String benId = TestServer.link(room, "performer", 1).path("participantId").asText();
        performer(room, 0);
        performer(room, 1);
        // the fake microphone beeps every second: speaking marks arrive all the time from both
        await("speaking marks flowing").until(() -> rig.on(mod)
                .findElements(By.cssSelector("#timeline rect.span.speaking")).size() >= 6);
        for (int i = 0; i < 6; i++) {
            String before = memberField(mod, anaId, "muted");
            long sent = list(mod, "window.improv.sentLog()").stream().filter(m -> "mute".equals(m.get("type"))).count();
            WebElement mute = rig.on(mod).findElement(By.cssSelector("tr[data-member='" + anaId + "'] button.mute"));
            humanClick(mute);
            await("click " + (i + 1) + " on Mute took effect").atMost(10, TimeUnit.SECONDS)
                    .until(() -> !memberField(mod, anaId, "muted").equals(before));
            assertEquals(sent + 1, list(mod, "window.improv.sentLog()").stream()
                    .filter(m -> "mute".equals(m.get("type"))).count(), "one click, one message");
            assertTrue(rig.driver().switchTo().activeElement().equals(
                    rig.driver().findElement(By.cssSelector("tr[data-member='" + anaId + "'] button.mute"))),
                    "focus stays on the button");
        }
        WebElement kick = rig.on(mod).findElement(By.cssSelector("tr[data-member='" + benId + "'] button.kick"));
        humanClick(kick);
        Alert confirm = Awaitility.await("the kick confirmation").atMost(5, TimeUnit.SECONDS)
                .ignoreExceptions().until(() -> rig.driver().switchTo().alert(), a -> a != null);
        assertTrue(confirm.getText().contains("Ben"), confirm.getText());
        confirm.accept();
        await("Ben removed after one click").until(() -> "gone".equals(memberField(mod, benId, "muted")));
        // keyboard: Tab to Ana's Mute and press Space
        String before = memberField(mod, anaId, "muted");
        rig.js(mod, "document.querySelector(\"tr[data-member='\" + arguments[0] + \"'] button.mute\").focus()", anaId);
        new Actions(rig.driver()).sendKeys(" ").perform();
        await("Space on the focused Mute works").until(() -> !memberField(mod, anaId, "muted").equals(before));
        Object small = rig.js(mod, "return [...document.querySelectorAll('button')].filter(b => b.offsetParent)"
                + ".filter(b => { const r = b.getBoundingClientRect(); return r.height < 44 || r.width < 44; })"
                + ".map(b => b.textContent)");
        assertEquals(List.of(), small, "every visible button is at least 44 px both ways");
    }
}
