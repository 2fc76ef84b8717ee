package dev.improv.server.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestLocks;
import dev.improv.server.testing.TestServer;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.openqa.selenium.By;

/**
 * The lobby page and the media-recorder link of the stage in a real Chromium: performers agree to the pool's
 * consent, queue, accept an offer and land on the stage of the same room by themselves; a moderator's lobby page
 * shows the room and its console link; a performer who does not agree never reaches the queue. Then the stage
 * offers its microphone to a media recorder, again after the recorder reconnects.
 */
@Tag("browser")
@ResourceLock(TestLocks.CPU)
class LobbyBrowserTest {
    @RegisterExtension
    static final BrowserRig rig = BrowserRig.perClass();

    static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(20, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(200));
    }

    static JsonNode admin(String method, String path, String body, int expectedStatus) throws Exception {
        HttpResponse<String> r = rig.admin(method, path, body);
        assertEquals(expectedStatus, r.statusCode(), method + " " + path + ": " + r.body());
        return ProtocolCodec.mapper().readTree(r.body());
    }

    static JsonNode lobbyLink(String pool, String role, String name) throws Exception {
        return admin("POST", "/api/pools/" + pool + "/links",
                "{\"role\":\"" + role + "\",\"name\":\"" + name + "\"}", 201);
    }

    static Object js(String window, String script) {
        return rig.js(window, "return " + script + ";");
    }

    static String phase(String window) {
        return String.valueOf(js(window, "window.improv && window.improv.phase()"));
    }

    /** A person's click (press, hold, release) on the element with this id. */
    static void click(String window, String id) {
        rig.humanClick(rig.on(window).findElement(By.id(id)));
    }

    /** Agrees to the consent text and queues with the default language. */
    static void agreeAndQueue(String window) {
        await("consent shown").until(() -> phase(window).equals("consent"));
        click(window, "consent-check");
        click(window, "consent-agree");
        await("preferences shown").until(() -> phase(window).equals("prefs"));
        click(window, "queue");
    }

    @Test
    void performersWhoAgreeAreMatchedIntoOneRoomAndOneWhoDoesNotIsNeverQueued() throws Exception {
        String pool = "english-comedy";
        String consentText = "We record your audio and the room's events for research. Version two.";
        admin("POST", "/api/pools", "{\"id\":\"" + pool + "\",\"consentVersion\":2,\"consentText\":\"" + consentText
                + "\",\"roomSize\":2,\"moderatorCapacity\":3}", 201);
        JsonNode modLink = lobbyLink(pool, "moderator", "Mo");
        JsonNode anaLink = lobbyLink(pool, "performer", "Ana");
        JsonNode benLink = lobbyLink(pool, "performer", "Ben");
        JsonNode cleoLink = lobbyLink(pool, "performer", "Cleo");
        assertTrue(anaLink.path("url").asText().contains("/lobby.html?token="), anaLink.toString());

        String mod = rig.open(rig.pageUrl(modLink));
        await("moderator sees the pool").until(() -> phase(mod).equals("pool") && js(mod, "window.improv.pool()") != null);

        // Cleo reads the text and does not agree: nothing leaves the page, she is not in the queue
        String cleo = rig.open(rig.pageUrl(cleoLink));
        await("Cleo sees the consent").until(() -> phase(cleo).equals("consent"));
        String shown = rig.on(cleo).findElement(By.id("consent-text")).getText();
        assertEquals(consentText, shown);
        assertTrue(rig.on(cleo).findElement(By.id("consent-version")).getText().contains("2"));
        assertFalse(rig.on(cleo).findElement(By.id("consent-agree")).isEnabled(), "agree needs the checkbox first");
        rig.screenshot(cleo, "lobby-consent");
        click(cleo, "consent-decline");
        await("Cleo is told nothing is recorded").until(() -> phase(cleo).equals("declined"));
        assertTrue(rig.on(cleo).findElement(By.id("declined-text")).getText().contains("nothing"));
        rig.screenshot(cleo, "lobby-declined");

        String ana = rig.open(rig.pageUrl(anaLink));
        agreeAndQueue(ana);
        await("Ana is queued at position 1").until(() -> phase(ana).equals("queued")
                && "1".equals(rig.on(ana).findElement(By.id("position")).getText()));
        assertEquals(1, admin("GET", "/api/pools/" + pool, null, 200).path("waiting").asInt(),
                "only Ana waits: Cleo never queued");
        await("the moderator sees one waiting").until(() -> "1".equals(rig.on(mod)
                .findElement(By.id("waiting-count")).getText()));
        rig.screenshot(ana, "lobby-queued");

        // a dropped connection comes back by itself and takes the same place again
        js(ana, "window.improv.dropSocket()");
        await("Ana re-sent her lobby_join after reconnecting").until(() -> "connected".equals(js(ana, "window.improv.state()"))
                && js(ana, "window.improv.sent()").equals(List.of("lobby_join", "lobby_join")));
        await("still first in the queue").until(() -> phase(ana).equals("queued")
                && "1".equals(rig.on(ana).findElement(By.id("position")).getText()));
        assertEquals(1, admin("GET", "/api/pools/" + pool, null, 200).path("waiting").asInt());

        String ben = rig.open(rig.pageUrl(benLink));
        agreeAndQueue(ben);
        for (String w : List.of(ana, ben)) {
            await("an offer with its countdown").until(() -> phase(w).equals("offered")
                    && rig.on(w).findElement(By.id("offer-countdown")).getText().endsWith("s to answer"));
        }
        // names, never ids: each sees the other's name and the moderator's
        assertEquals("Partners found! You and Ben, with the moderator Mo.", rig.on(ana).findElement(By.id("offer-text")).getText());
        assertEquals("Partners found! You and Ana, with the moderator Mo.", rig.on(ben).findElement(By.id("offer-text")).getText());
        assertEquals("▶ Partners found · Improv", rig.on(ana).getTitle());
        rig.screenshot(ana, "lobby-offer");
        rig.humanClick(rig.on(ana).findElement(By.id("accept")));
        await("Ana waits for Ben").until(() -> rig.on(ana).findElement(By.id("offer-status")).getText()
                .contains("Waiting for the others"));
        click(ben, "accept");

        // both land on the stage of the same room without another click
        Set<String> ids = Set.of(anaLink.path("participantId").asText(), benLink.path("participantId").asText());
        for (String w : List.of(ana, ben)) {
            await("on the stage").until(() -> rig.on(w).getCurrentUrl().contains("/perform.html?token="));
            await("joined the room").until(() -> "connected".equals(js(w, "window.improv.state()")));
            await("both performers in the roster").until(() -> performerIds(w).equals(ids));
        }
        assertEquals(anaLink.path("participantId").asText(), js(ana, "window.improv.me().id"), "same id as in the lobby");
        rig.screenshot(ana, "lobby-stage-ana");
        rig.screenshot(ben, "lobby-stage-ben");

        // the stage asked for the devices only now, in the room (the lobby never does), and shows the check
        for (String w : List.of(ana, ben)) {
            rig.awaitCheck(w);
        }
        rig.goOnStage(ana);

        // the moderator's pool view shows the room by its performers' names, with a console link that opens in a
        // new window; the table is redrawn on every pool update: read it in one script, not element by element
        await("the moderator sees the room with both performers").until(() -> {
            Object rows = js(mod, "[...document.querySelectorAll('#rooms tbody tr')].map(r => r.textContent)");
            return rows instanceof List<?> l && l.size() == 1 && l.get(0).toString().startsWith("Ana and Ben")
                    && l.get(0).toString().contains("you");
        });
        Object poolText = js(mod, "document.getElementById('pool').textContent");
        for (String id : ids) {
            assertFalse(poolText.toString().contains(id), "no participant id on the moderator's page: " + poolText);
        }
        assertEquals("0", rig.on(mod).findElement(By.id("waiting-count")).getText());
        await("a console link for the moderator's room").until(() -> !rig.on(mod)
                .findElements(By.cssSelector("#my-rooms a")).isEmpty());
        rig.screenshot(mod, "lobby-moderator");
        Set<String> before = new HashSet<>(rig.driver().getWindowHandles());
        rig.js(mod, "document.querySelector('#my-rooms a').click()");
        await("the console opens in a new window").until(() -> rig.driver().getWindowHandles().size() > before.size());
        Set<String> after = new HashSet<>(rig.driver().getWindowHandles());
        after.removeAll(before);
        String console = after.iterator().next();
        await("the console joins the room").until(() -> rig.on(console).getCurrentUrl().contains("/moderate.html?token=")
                && "connected".equals(js(console, "window.improv && window.improv.state()")));
        await("the console lists both performers").until(() -> rig.on(console)
                .findElements(By.cssSelector("#roster tbody tr")).size() >= 2);

        assertEquals(List.of(), js(cleo, "window.improv.sent()"), "Cleo's page sent nothing");
        assertEquals(0, admin("GET", "/api/pools/" + pool, null, 200).path("waiting").asInt());
    }

    @Test
    void aPerformerWhoDeclinesLeavesTheQueueAndThePartnerKeepsItsPlace() throws Exception {
        String pool = "decline-test";
        admin("POST", "/api/pools", "{\"id\":\"" + pool + "\",\"consentVersion\":1,\"consentText\":\"We record.\","
                + "\"roomSize\":2}", 201);
        String dan = rig.open(rig.pageUrl(lobbyLink(pool, "performer", "Dan")));
        agreeAndQueue(dan);
        String eva = rig.open(rig.pageUrl(lobbyLink(pool, "performer", "Eva")));
        agreeAndQueue(eva);
        for (String w : List.of(dan, eva)) {
            await("an offer").until(() -> phase(w).equals("offered"));
        }
        click(eva, "decline");
        await("Eva is out of the queue and told how to come back").until(() -> phase(eva).equals("prefs")
                && rig.on(eva).findElement(By.id("banner")).getText().contains("no longer in the queue"));
        await("Dan waits again, first in line").until(() -> phase(dan).equals("queued")
                && rig.on(dan).findElement(By.id("banner")).getText().contains("keep your place")
                && "1".equals(rig.on(dan).findElement(By.id("position")).getText()));
        assertEquals(1, admin("GET", "/api/pools/" + pool, null, 200).path("waiting").asInt());
        rig.screenshot(dan, "lobby-requeued");
    }

    @SuppressWarnings("unchecked")
    static Set<String> performerIds(String window) {
        Set<String> out = new HashSet<>();
        for (Map<String, Object> m : (List<Map<String, Object>>) js(window, "window.improv.roster()")) {
            if ("performer".equals(m.get("role"))) {
                out.add((String) m.get("id"));
            }
        }
        return out;
    }

    @Test
    void stageOffersItsMicrophoneToTheMediaRecorderAgainAfterTheRecorderReconnects() throws Exception {
        JsonNode room = rig.createRoom("{\"name\":\"Recorded\",\"performers\":[\"Ana\"],\"recorders\":0}");
        // the media recorder is typed by its token (the media scope), not by its name
        JsonNode recorderLink = ProtocolCodec.mapper().readTree(rig.admin("POST", "/api/rooms/"
                + room.path("room").path("id").asText() + "/links", "{\"role\":\"recorder\",\"name\":\"Tape\","
                + "\"media\":true}").body());
        String wsUrl = rig.roomSocketUrl(room, recorderLink);
        String ana = rig.open(rig.pageUrl(TestServer.link(room, "performer", 0)));
        String anaId = TestServer.link(room, "performer", 0).path("participantId").asText();
        rig.joinThroughCheck(ana);
        await("Ana joined").until(() -> "connected".equals(js(ana, "window.improv.state()")));

        try (TestClient recorder = TestClient.join(wsUrl)) {
            JsonNode offer = recorder.await(m -> isOffer(m, anaId), "an audio offer from Ana's page");
            // the performer mesh's shape: description, the page's connection id
            String sdp = offer.path("data").path("description").path("sdp").asText();
            assertEquals("offer", offer.path("data").path("description").path("type").asText());
            assertTrue(offer.path("data").path("conn").isTextual(), offer.toString());
            assertTrue(sdp.contains("m=audio") && sdp.contains("m=video"), sdp); // microphone and camera, send-only
            assertTrue(sdp.contains("a=sendonly"), "send-only: " + sdp);
            recorder.await(m -> "signal".equals(m.path("type").asText()) && "ice".equals(m.path("kind").asText())
                    && m.path("data").path("candidate").path("candidate").asText().startsWith("candidate:"),
                    "an ICE candidate in the mesh's shape");
        }
        // the recorder comes back (presence connected:true): a new offer, on a new connection
        try (TestClient recorder = TestClient.join(wsUrl)) {
            recorder.await(m -> isOffer(m, anaId), "a new offer after the recorder reconnected");
            await("a second connection").until(() -> recorderOffers(ana) == 2);
        }
        assertEquals(List.of(), rig.stats(ana), "no performer connection was opened to the recorder");
        rig.screenshot(ana, "perform-recorded");
    }

    static boolean isOffer(JsonNode m, String from) {
        return "signal".equals(m.path("type").asText()) && "offer".equals(m.path("kind").asText())
                && from.equals(m.path("from").asText());
    }

    @SuppressWarnings("unchecked")
    static long recorderOffers(String window) {
        rig.on(window);
        List<Map<String, Object>> stats = (List<Map<String, Object>>) rig.driver().executeAsyncScript(
                "const done = arguments[arguments.length - 1]; window.improv.recorderStats().then(done, e => done([]));");
        return stats.isEmpty() ? 0 : ((Number) stats.get(0).get("offers")).longValue();
    }
    @Test
    void aPerformerSeesWhatTheyAgreedToAndWithdraws() throws Exception {
        String pool = "consent-call";
        admin("POST", "/api/consent/texts", "{\"version\":3,\"text\":\"Training and commercial use.\","
                + "\"scopes\":[\"training\",\"commercial_use\"]}", 201);
        admin("POST", "/api/pools", "{\"id\":\"" + pool + "\",\"consentVersion\":3,\"consentText\":"
                + "\"Training and commercial use.\",\"roomSize\":2}", 201);
        JsonNode link = lobbyLink(pool, "performer", "Dana");
        String dana = rig.open(rig.pageUrl(link));
        await("consent shown").until(() -> phase(dana).equals("consent"));
        assertTrue(rig.on(dana).findElement(By.id("my-consent")).getAttribute("class").contains("hidden"),
                "nothing about an agreement before agreeing");
        click(dana, "consent-check");
        click(dana, "consent-agree");
        await("her consent is shown").until(() -> rig.on(dana).findElement(By.id("my-consent-summary")).getText()
                .contains("Version 3"));
        assertTrue(rig.on(dana).findElement(By.id("my-consent-summary")).getText().contains("commercial use"));
        click(dana, "withdraw-training");
        click(dana, "my-consent-withdraw");
        assertEquals("Press again to confirm", rig.on(dana).findElement(By.id("my-consent-withdraw")).getText());
        assertEquals(0, admin("GET", "/api/consent/withdrawals", null, 200).path("withdrawals").size(),
                "one click withdraws nothing");
        click(dana, "my-consent-withdraw");
        await("withdrawn").until(() -> rig.on(dana).findElement(By.id("my-consent-status")).getText()
                .startsWith("Withdrawn and recorded"));
        JsonNode w = admin("GET", "/api/consent/withdrawals", null, 200).path("withdrawals").get(0);
        assertEquals(link.path("participantId").asText(), w.path("pid").asText());
        assertEquals("[\"training\"]", w.path("scopes").toString());
        assertEquals("performer", w.path("via").asText());
        rig.screenshot(dana, "lobby-my-consent");
        // her own time: none before she queues, lobby time once she waits
        await("no time yet").until(() -> rig.on(dana).findElement(By.id("my-pay-status")).getText()
                .equals("No time recorded yet."));
        click(dana, "queue");
        await("queued").until(() -> phase(dana).equals("queued"));
        Thread.sleep(1_100);
        click(dana, "my-pay-refresh");
        await("her lobby time is shown").until(() -> {
            String text = rig.on(dana).findElement(By.id("my-pay-status")).getText();
            return text.matches("In all: 0:00 in scenes, 0 scenes completed, \\d+:\\d\\d waiting\\.")
                    && !text.endsWith(" 0:00 waiting.");
        });
        assertEquals(1, rig.on(dana).findElements(By.cssSelector("#my-pay-table tbody tr")).size());
    }
}
