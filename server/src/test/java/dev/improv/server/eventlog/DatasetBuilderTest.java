package dev.improv.server.eventlog;

import static dev.improv.server.eventlog.Events.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.eventlog.DatasetBuilder.Interval;
import dev.improv.server.eventlog.DatasetBuilder.PerformerTrack;
import dev.improv.server.eventlog.DatasetBuilder.Scene;
import dev.improv.server.protocol.ProtocolCodec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DatasetBuilderTest {
    private final List<SessionLogReader.LogEvent> events = new ArrayList<>();

    private void event(String json) {
        try {
            ObjectNode node = (ObjectNode) ProtocolCodec.mapper().readTree(json);
            events.add(new SessionLogReader.LogEvent(node.get("seq").asLong(), node));
        } catch (Exception e) {
            throw new IllegalArgumentException(json, e);
        }
    }

    private void joined(long seq, long ts, String id, String name, String role) {
        event("{\"type\":\"member_joined\",\"seq\":" + seq + ",\"ts\":" + ts + ",\"actor\":\"" + id + "\",\"member\":"
                + "{\"id\":\"" + id + "\",\"name\":\"" + name + "\",\"role\":\"" + role + "\",\"connected\":true,"
                + "\"muted\":false}}");
    }

    /** A mark; serverTs null = no clock offset measured yet. */
    private void mark(long seq, long ts, String actor, String kind, Long serverTs) {
        event("{\"type\":\"mark\",\"seq\":" + seq + ",\"ts\":" + ts + ",\"actor\":\"" + actor + "\",\"kind\":\"" + kind
                + "\",\"clientTs\":" + (ts - 250_000) + (serverTs == null ? "" : ",\"serverTs\":" + serverTs
                + ",\"offsetUs\":250000") + ",\"scene\":1}");
    }

    /** Two performers, one moderator, one scene; p-2 has no clock offset, so its marks fall back to ts. */
    private void session() {
        joined(1, T0, "p-1", "Ada", "performer");
        joined(2, T0 + 1_000, "p-2", "Bo", "performer");
        joined(3, T0 + 2_000, "m-1", "Mo", "moderator");
        event("{\"type\":\"clock\",\"seq\":4,\"ts\":" + (T0 + 5_000) + ",\"actor\":\"p-1\",\"offsetUs\":250000,"
                + "\"rttUs\":4000}");
        event("{\"type\":\"prompt\",\"seq\":5,\"ts\":" + (T0 + 1_000_000) + ",\"actor\":\"m-1\",\"text\":\"A lighthouse\","
                + "\"durationMs\":90000,\"meta\":{\"genre\":\"drama\"},\"scene\":0}");
        event("{\"type\":\"scene_started\",\"seq\":6,\"ts\":" + (T0 + 2_000_000) + ",\"actor\":\"m-1\",\"scene\":1,"
                + "\"title\":\"Lighthouse\"}");
        mark(7, T0 + 2_150_000, "p-1", "turn_start", T0 + 2_100_000);
        mark(8, T0 + 2_160_000, "p-1", "speaking_start", T0 + 2_105_000);
        event("{\"type\":\"prompt\",\"seq\":9,\"ts\":" + (T0 + 2_500_000) + ",\"actor\":\"m-1\",\"text\":\"Now a storm\","
                + "\"scene\":1}");
        mark(10, T0 + 2_200_000, "p-1", "speaking_stop", T0 + 2_142_000);
        mark(11, T0 + 2_900_000, "p-2", "turn_end", null);
        mark(12, T0 + 3_000_000, "p-2", "turn_start", null);
        mark(13, T0 + 3_050_000, "p-1", "turn_end", T0 + 3_000_000);
        mark(14, T0 + 3_010_000, "p-2", "speaking_start", null);
        event("{\"type\":\"scene_ended\",\"seq\":15,\"ts\":" + (T0 + 4_000_000) + ",\"actor\":\"m-1\",\"scene\":1}");
        mark(16, T0 + 4_500_000, "p-1", "turn_start", T0 + 4_450_000);
        event("{\"type\":\"room_closed\",\"seq\":17,\"ts\":" + (T0 + 5_000_000) + ",\"actor\":\"server\","
                + "\"reason\":\"done\"}");
    }

    @Test
    void participantsClocksAndScenes() {
        session();
        DatasetBuilder.Dataset d = DatasetBuilder.build(null, events);
        assertEquals(1, d.formatVersion());
        assertEquals(10, d.vadFrameMs());
        assertEquals(T0, d.startedAt());
        assertEquals(List.of(new DatasetBuilder.Participant("p-1", "Ada", "performer", T0),
                new DatasetBuilder.Participant("p-2", "Bo", "performer", T0 + 1_000),
                new DatasetBuilder.Participant("m-1", "Mo", "moderator", T0 + 2_000)), d.participants());
        assertEquals(List.of(new DatasetBuilder.ClockSample("p-1", 4, T0 + 5_000, 250_000, 4_000)), d.clockOffsets());
        assertEquals(1, d.scenes().size());
        Scene scene = d.scenes().get(0);
        assertEquals(1, scene.number());
        assertEquals("Lighthouse", scene.title());
        assertEquals(6, scene.startSeq());
        assertEquals(T0 + 2_000_000, scene.startTs());
        assertEquals(15L, scene.endSeq());
        assertEquals(T0 + 4_000_000, scene.endTs());
        assertEquals("A lighthouse", scene.leadInPrompt().text());
        assertEquals(90_000L, scene.leadInPrompt().durationMs());
        assertEquals("drama", scene.leadInPrompt().meta().path("genre").asText());
        assertEquals(1, scene.prompts().size());
        DatasetBuilder.Prompt storm = scene.prompts().get(0);
        assertEquals(new DatasetBuilder.Prompt(9, T0 + 2_500_000, "m-1", "Now a storm", null, null), storm);
        assertEquals(List.of("p-1", "p-2"), scene.performers().stream().map(PerformerTrack::participant).toList());
        assertTrue(d.warnings().contains("scene 1, p-2: turn_end at seq 11 without a turn_start, ignored"),
                d.warnings().toString());
        assertTrue(d.warnings().contains("1 marks were recorded outside any scene and are not in the view"));
    }

    @Test
    void turnsAndSpeechUseCorrectedClientTimeAndFlagTheFallback() {
        session();
        Scene scene = DatasetBuilder.build(null, events).scenes().get(0);
        PerformerTrack ada = scene.performers().get(0);
        assertEquals("Ada", ada.name());
        assertEquals(List.of(new Interval(T0 + 2_100_000, T0 + 3_000_000, 7, 13L, "client_corrected",
                "client_corrected")), ada.turns());
        assertEquals(List.of(new Interval(T0 + 2_105_000, T0 + 2_142_000, 8, 10L, "client_corrected",
                "client_corrected")), ada.speech());
        assertEquals(37_000, ada.speech().get(0).durationUs());

        PerformerTrack bo = scene.performers().get(1);
        // no offset measured: the server's receive time, flagged; still open at the scene end
        assertEquals(List.of(new Interval(T0 + 3_000_000, T0 + 4_000_000, 12, null, "server_received",
                "scene_end")), bo.turns());
        assertEquals(List.of(new Interval(T0 + 3_010_000, T0 + 4_000_000, 14, null, "server_received",
                "scene_end")), bo.speech());
    }

    @Test
    void voiceActivityOnATenMillisecondGrid() {
        session();
        Scene scene = DatasetBuilder.build(null, events).scenes().get(0);
        DatasetBuilder.Vad ada = scene.performers().get(0).vad();
        assertEquals(T0 + 2_000_000, ada.originTs());
        assertEquals(10, ada.frameMs());
        assertEquals(200, ada.frames());
        // speech 105..142 ms after the scene start: frames whose midpoints (105, 115, 125, 135 ms) are inside
        assertEquals(1, ada.voiced().size());
        assertArrayEquals(new long[] {10, 4}, ada.voiced().get(0));
        assertEquals(40, ada.voicedMs());

        DatasetBuilder.Vad bo = scene.performers().get(1).vad();
        // 1010 ms .. scene end (2000 ms): first midpoint inside is 1015 ms (frame 101), last is 1995 ms (frame 199)
        assertArrayEquals(new long[] {101, 99}, bo.voiced().get(0));
        assertEquals(990, bo.voicedMs());
    }

    @Test
    void aSecondStartClosesTheOpenIntervalAndBackwardsEndsAreClamped() {
        event("{\"type\":\"scene_started\",\"seq\":1,\"ts\":" + T0 + ",\"actor\":\"m-1\",\"scene\":1}");
        mark(2, T0 + 100_000, "p-1", "turn_start", T0 + 100_000);
        mark(3, T0 + 200_000, "p-1", "turn_start", T0 + 200_000);
        mark(4, T0 + 300_000, "p-1", "turn_end", T0 + 150_000);
        mark(5, T0 + 400_000, "p-1", "speaking_start", T0 + 400_000);
        mark(6, T0 + 405_000, "p-1", "speaking_stop", T0 + 425_000);
        mark(7, T0 + 430_000, "p-1", "speaking_start", T0 + 420_000);
        mark(8, T0 + 440_000, "p-1", "speaking_stop", T0 + 450_000);
        event("{\"type\":\"scene_ended\",\"seq\":9,\"ts\":" + (T0 + 1_000_000) + ",\"actor\":\"m-1\",\"scene\":1}");
        DatasetBuilder.Dataset d = DatasetBuilder.build(null, events);
        PerformerTrack p = d.scenes().get(0).performers().get(0);
        assertNull(p.name(), "a performer the log never introduced has no name");
        assertEquals(List.of(
                new Interval(T0 + 100_000, T0 + 200_000, 2, null, "client_corrected", "next_start"),
                new Interval(T0 + 200_000, T0 + 200_000, 3, 4L, "client_corrected", "client_corrected")), p.turns());
        assertTrue(d.warnings().get(0).contains("clamped"), d.warnings().toString());
        // overlapping speech segments 400..425 and 420..450 ms give one run: midpoints 405..445 ms
        assertEquals(1, p.vad().voiced().size());
        assertArrayEquals(new long[] {40, 5}, p.vad().voiced().get(0));
    }

    @Test
    void metadataGivesIdsAndParticipantsAndTheViewIsJson() throws Exception {
        session();
        DatasetBuilder.Dataset d = DatasetBuilder.build(Events.ended("sess-1"), events);
        assertEquals("sess-1", d.sessionId());
        assertEquals("room1", d.roomId());
        assertEquals("Room one", d.roomName());
        assertEquals(T0 + 1_000_000, d.endedAt());
        // meta's participant comes first (with its joinedAt), events add the others
        assertEquals(new DatasetBuilder.Participant("p-1", "Ada", "performer", T0), d.participants().get(0));
        assertEquals(3, d.participants().size());
        JsonNode json = ProtocolCodec.mapper().readTree(ProtocolCodec.mapper().writeValueAsBytes(d));
        JsonNode turn = json.path("scenes").path(0).path("performers").path(0).path("turns").path(0);
        assertEquals(900_000, turn.path("durationUs").asLong());
        assertEquals("client_corrected", turn.path("startSource").asText());
        assertEquals(10, json.path("scenes").path(0).path("performers").path(0).path("vad").path("voiced").path(0)
                .path(0).asLong());
    }

    /** Events are read as the protocol's records: one that does not decode, or of a newer type, is reported. */
    @Test
    void unreadableAndUnknownEventsAreReportedNotDropped() {
        session();
        event("{\"type\":\"mark\",\"seq\":18,\"ts\":" + (T0 + 5_100_000) + ",\"actor\":\"p-1\",\"kind\":\"yawn\","
                + "\"clientTs\":1,\"scene\":1}");
        event("{\"type\":\"hologram\",\"seq\":19,\"ts\":" + (T0 + 5_200_000) + ",\"actor\":\"server\"}");
        event("{\"type\":\"hologram\",\"seq\":20,\"ts\":" + (T0 + 5_300_000) + ",\"actor\":\"server\"}");
        DatasetBuilder.Dataset d = DatasetBuilder.build(null, events);
        assertTrue(d.warnings().stream().anyMatch(w -> w.startsWith("mark at seq 18 is unreadable (")
                && w.endsWith("), ignored")), d.warnings().toString());
        assertTrue(d.warnings().contains("2 events of type 'hologram' (unknown to this server version) are not in "
                + "the view"), d.warnings().toString());
        assertEquals(1, d.scenes().size(), "the rest of the view is unchanged");
    }

    /** A log of an older server without a field the record now has (here the mark's scene) still reads. */
    @Test
    void anOlderLogWithoutANewerPrimitiveFieldStillReads() {
        joined(1, T0, "p-1", "Ada", "performer");
        event("{\"type\":\"scene_started\",\"seq\":2,\"ts\":" + (T0 + 1_000) + ",\"actor\":\"m-1\",\"scene\":1}");
        event("{\"type\":\"mark\",\"seq\":3,\"ts\":" + (T0 + 2_000) + ",\"actor\":\"p-1\",\"kind\":\"turn_start\","
                + "\"clientTs\":5}");
        DatasetBuilder.Dataset d = DatasetBuilder.build(null, events);
        assertEquals(1, d.scenes().get(0).performers().get(0).turns().size(), d.warnings().toString());
    }
}
