package dev.improv.server.media;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.testing.TestClient;
import dev.improv.server.testing.TestServer;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.media.audio.AudioDeviceModule;
import dev.onvoid.webrtc.media.audio.AudioLayer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The end-to-end scenario, run by {@link MediaRecorderEndToEndTest} in a child JVM inside a network namespace
 * (libwebrtc ignores loopback, so the namespace gets a veth pair). Server, recorder and two synthetic performers
 * all live here; the result (onset stamps, ids) goes to a JSON file for the test to check against the recorded
 * files. Args: data dir, result file.
 */
public final class MediaScenarioMain {
    static final int LEAD_MS = 1500;
    static final int BURSTS = 3;
    static final int ON_MS = 500;
    static final int OFF_MS = 500;
    static final int TAIL_MS = 500;
    /** The recorder stores this many images per second of each performer's video. */
    static final double VIDEO_FPS = 2;
    /** What the synthetic cameras send. */
    static final int CAMERA_FPS = 15;
    static final int CAMERA_WIDTH = 320;
    static final int CAMERA_HEIGHT = 240;

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        Path result = Path.of(args[1]);
        try (TestServer server = TestServer.start(data, "--max-messages-per-second", "1000", "--message-burst", "1000");
             MediaRecorder recorder = new MediaRecorder(data, 1, ConsentPolicy.everyone(), VIDEO_FPS)) {
            JsonNode room = server.createRoom("{\"name\":\"Media\",\"performers\":[\"Ana\",\"Ben\"],\"recorders\":0}");
            String roomId = room.path("room").path("id").asText();
            String mediaToken = MediaLinks.mediaRecorderToken(server, roomId);
            try (TestClient mod = TestClient.join(server.wsUrl(roomId,
                    TestServer.link(room, "moderator", 0).path("token").asText()))) {
                MediaRecorderPeer rec = recorder.record("ws://127.0.0.1:" + server.port(), mediaToken);
                JsonNode joined = mod.await(MediaLinks::mediaRecorderJoined, "the media recorder joined");
                String recorderId = joined.path("member").path("id").asText();
                PeerConnectionFactory senders = new PeerConnectionFactory(new AudioDeviceModule(AudioLayer.kDummyAudio));
                List<SyntheticPerformer> performers = new ArrayList<>();
                try {
                    for (int i = 0; i < 2; i++) {
                        performers.add(new SyntheticPerformer(i == 0 ? "Ana" : "Ben",
                                server.wsUrl(roomId, TestServer.link(room, "performer", i).path("token").asText()),
                                senders).withVideo());
                    }
                    for (SyntheticPerformer p : performers) {
                        p.offerTo(recorderId);
                    }
                    for (SyntheticPerformer p : performers) {
                        if (!p.awaitConnected(15)) {
                            throw new IllegalStateException("performer did not connect to the recorder");
                        }
                    }
                    for (SyntheticPerformer p : performers) {
                        p.startVideo(CAMERA_WIDTH, CAMERA_HEIGHT, CAMERA_FPS);
                    }
                    List<CompletableFuture<List<Long>>> plays = new ArrayList<>();
                    for (SyntheticPerformer p : performers) {
                        plays.add(CompletableFuture.supplyAsync(
                                () -> p.playPattern(LEAD_MS, BURSTS, ON_MS, OFF_MS, TAIL_MS)));
                    }
                    ObjectNode out = ProtocolCodec.mapper().createObjectNode();
                    ArrayNode list = out.putArray("performers");
                    for (int i = 0; i < performers.size(); i++) {
                        List<Long> onsets = plays.get(i).get(30, TimeUnit.SECONDS);
                        ObjectNode p = list.addObject().put("id", performers.get(i).id())
                                .put("clockRttUs", performers.get(i).clock().rttMicros());
                        onsets.forEach(p.putArray("onsetsServerUs")::add);
                    }
                    for (int i = 0; i < performers.size(); i++) {
                        SyntheticPerformer.VideoLog v = performers.get(i).stopVideo();
                        ObjectNode p = (ObjectNode) list.get(i);
                        p.put("videoFirstServerUs", v.firstServerUs).put("videoLastServerUs", v.lastServerUs)
                                .put("videoFramesPushed", v.pushed);
                        v.colourChangesServerUs.forEach(p.putArray("colourChangesServerUs")::add);
                        v.framesServerUs.forEach(p.putArray("framesServerUs")::add);
                    }
                    Thread.sleep(300);
                    out.put("session", mod.await("welcome").path("room").path("session").asText());
                    out.put("recorderClockRttUs", rec.clock().rttMicros());
                    server.admin("DELETE", "/api/rooms/" + roomId, null);
                    rec.finished().get(10, TimeUnit.SECONDS);
                    out.put("roomClosedTs", mod.await("room_closed").path("ts").asLong());
                    Files.writeString(result, out.toPrettyString());
                } finally {
                    performers.forEach(SyntheticPerformer::close);
                    senders.dispose();
                }
            }
        }
        System.out.println("scenario done");
        System.exit(0);
    }
}
