package dev.improv.server.dataset;

import dev.improv.server.media.WavWriter;
import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.protocol.Role;
import dev.improv.server.room.SessionMeta;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes sessions into a data directory as the server leaves them: {@code sessions/<id>/events.jsonl} and
 * {@code meta.json}, and per performer the media recorder's {@code media/<pid>.wav} (48 kHz mono, sample value a
 * known function of its index), {@code .sync.jsonl} and {@code .vad.jsonl}. Two performers, two scenes, prompts,
 * turn and speaking marks, consent events naming a pool.
 */
final class ScriptedSessions {
    static final long T0 = 1_764_633_600_000_000L; // 2025-12-02T00:00:00Z in µs
    static final long SCENE_US = 4_000_000; // each scene lasts 4 s

    private ScriptedSessions() {
    }

    /** Sample {@code i} of performer {@code p}'s recording: distinct per performer, and checkable after a cut. */
    static short sample(int performer, long i) {
        return (short) ((i % 20_000) * (performer == 0 ? 1 : -1));
    }

    /**
     * A session starting {@code dayOffset} days after T0, with performers p-a and p-b who consented to
     * {@code consentVersion} in {@code pool}; {@code audioSeconds} of audio each (0: no media recorded).
     */
    static String write(Path dataDir, String id, int dayOffset, String pool, int consentVersion, double audioSeconds)
            throws IOException {
        return write(dataDir, id, dayOffset, pool, consentVersion, audioSeconds, SCENE_US);
    }

    /** The same with scenes of {@code sceneUs} (the second starts 1 s after the first ends). */
    static String write(Path dataDir, String id, int dayOffset, String pool, int consentVersion, double audioSeconds,
                        long sceneUs) throws IOException {
        long t = T0 + dayOffset * 86_400_000_000L;
        Path dir = Files.createDirectories(dataDir.resolve("sessions").resolve(id));
        List<String> lines = new ArrayList<>();
        long[] seq = {0};
        java.util.function.BiConsumer<Long, String> ev = (ts, body) -> lines.add("{" + body.replace("$SEQ",
                Long.toString(++seq[0])).replace("$TS", Long.toString(ts)) + "}");
        for (String p : List.of("p-a", "p-b")) {
            ev.accept(t + 1000, "\"type\":\"consent\",\"seq\":$SEQ,\"ts\":$TS,\"actor\":\"server\",\"participant\":\"" + p
                    + "\",\"pool\":\"" + pool + "\",\"consentVersion\":" + consentVersion + ",\"acceptedAt\":" + (t / 1000 - 5000));
        }
        List<SessionMeta.SceneInfo> scenes = new ArrayList<>();
        for (int scene = 1; scene <= 2; scene++) {
            long s0 = t + 1_000_000 + (scene - 1) * (sceneUs + 1_000_000);
            ev.accept(s0 - 500_000, "\"type\":\"prompt\",\"seq\":$SEQ,\"ts\":$TS,\"actor\":\"m-1\",\"text\":\"Prompt "
                    + scene + ": a lighthouse keeper\",\"scene\":" + (scene - 1));
            long startSeq = seq[0] + 1;
            ev.accept(s0, "\"type\":\"scene_started\",\"seq\":$SEQ,\"ts\":$TS,\"actor\":\"m-1\",\"scene\":" + scene
                    + ",\"title\":\"Take " + scene + "\"");
            for (int k = 0; k < 2; k++) {
                String p = k == 0 ? "p-a" : "p-b";
                long a = s0 + 200_000 + k * 1_800_000;
                ev.accept(a, mark(p, "turn_start", a, scene));
                ev.accept(a + 10, mark(p, "speaking_start", a + 10, scene));
                ev.accept(a + 1_500_000, mark(p, "speaking_stop", a + 1_500_000, scene));
                ev.accept(a + 1_600_000, mark(p, "turn_end", a + 1_600_000, scene));
            }
            long endSeq = seq[0] + 1;
            ev.accept(s0 + sceneUs, "\"type\":\"scene_ended\",\"seq\":$SEQ,\"ts\":$TS,\"actor\":\"m-1\",\"scene\":" + scene);
            scenes.add(new SessionMeta.SceneInfo(scene, "Take " + scene, startSeq, s0, endSeq, s0 + sceneUs));
        }
        long end = t + Math.max(12_000_000, 3_000_000 + 2 * sceneUs);
        Files.write(dir.resolve("events.jsonl"), (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
        SessionMeta meta = new SessionMeta(id, "room-" + id, "Room " + id, t, end, 1, "test-1.0",
                List.of(new SessionMeta.ParticipantInfo("p-a", "Ana", Role.PERFORMER, t, 1),
                        new SessionMeta.ParticipantInfo("p-b", "Ben", Role.PERFORMER, t, 2),
                        new SessionMeta.ParticipantInfo("m-1", "Mo", Role.MODERATOR, t, 3)), scenes);
        Files.write(dir.resolve("meta.json"), ProtocolCodec.mapper().writeValueAsBytes(meta));
        if (audioSeconds > 0) {
            Path media = Files.createDirectories(dir.resolve("media"));
            for (int k = 0; k < 2; k++) {
                writeTrack(media, k == 0 ? "p-a" : "p-b", k, t + 500_000, (long) (audioSeconds * 48_000));
            }
        }
        return id;
    }

    private static String mark(String p, String kind, long serverTs, int scene) {
        return "\"type\":\"mark\",\"seq\":$SEQ,\"ts\":$TS,\"actor\":\"" + p + "\",\"kind\":\"" + kind
                + "\",\"clientTs\":1,\"serverTs\":" + serverTs + ",\"offsetUs\":0,\"scene\":" + scene;
    }

    /** A track whose sample 0 was captured at {@code startUs}, one sync point a second, VAD every 10 ms. */
    static void writeTrack(Path media, String pid, int performer, long startUs, long samples) throws IOException {
        try (WavWriter wav = new WavWriter(media.resolve(pid + ".wav"), 48_000, 1)) {
            short[] buf = new short[4800];
            for (long i = 0; i < samples; i += buf.length) {
                int n = (int) Math.min(buf.length, samples - i);
                for (int j = 0; j < n; j++) {
                    buf[j] = sample(performer, i + j);
                }
                wav.write(buf, 0, n);
            }
        }
        try (BufferedWriter sync = Files.newBufferedWriter(media.resolve(pid + ".sync.jsonl"));
             BufferedWriter vad = Files.newBufferedWriter(media.resolve(pid + ".vad.jsonl"))) {
            sync.write("{\"kind\":\"header\",\"participantId\":\"" + pid + "\",\"sampleRate\":48000}\n");
            for (long s = 0; s < samples; s += 48_000) {
                sync.write("{\"kind\":\"" + (s == 0 ? "start" : "sync") + "\",\"sample\":" + s + ",\"serverUs\":"
                        + (startUs + s * 1_000_000 / 48_000) + ",\"latencyUs\":0,\"stream\":0}\n");
            }
            sync.write("{\"kind\":\"end\",\"sample\":" + samples + ",\"serverUs\":" + (startUs + samples * 1_000_000 / 48_000)
                    + "}\n");
            for (long f = 0; f * 480 < samples; f++) {
                vad.write("{\"frame\":" + f + ",\"serverUs\":" + (startUs + f * 10_000) + ",\"voiced\":" + (f % 3 == 0 ? 1 : 0)
                        + ",\"db\":-20.5}\n");
            }
        }
    }

    /**
     * The media recorder's image sequence of {@code pid} ({@code media/<pid>.video/<n>.jpg}, 16×12 JPEGs written
     * with javax.imageio, each a different colour) and its {@code .video.jsonl} index: image {@code n} captured at
     * {@code firstUs + n·stepUs}. Plus one index line whose image is missing (at {@code missingAtUs}), as a crash
     * between the line and the image would leave it. Returns the images' paths by frame number.
     */
    static List<Path> writeVideo(Path media, String pid, long firstUs, long stepUs, int count, long missingAtUs)
            throws IOException {
        Path dir = Files.createDirectories(media.resolve(pid + ".video"));
        List<Path> out = new ArrayList<>();
        try (BufferedWriter index = Files.newBufferedWriter(media.resolve(pid + ".video.jsonl"))) {
            for (int n = 0; n < count; n++) {
                java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(16, 12,
                        java.awt.image.BufferedImage.TYPE_INT_RGB);
                java.awt.Graphics2D g = img.createGraphics();
                g.setColor(new java.awt.Color((n * 53) % 256, (n * 97 + 40) % 256, (255 - n * 23) % 256));
                g.fillRect(0, 0, 16, 12);
                g.setColor(java.awt.Color.WHITE);
                g.fillRect(n % 16, 0, 1, 12); // and a bar at a different place: no two images alike
                g.dispose();
                Path jpg = dir.resolve(n + ".jpg");
                if (!javax.imageio.ImageIO.write(img, "jpg", jpg.toFile())) {
                    throw new IOException("no JPEG writer");
                }
                out.add(jpg);
                index.write("{\"frame\":" + n + ",\"file\":\"" + pid + ".video/" + n + ".jpg\",\"serverUs\":"
                        + (firstUs + n * stepUs) + ",\"width\":16,\"height\":12,\"rotation\":0,\"latencyUs\":40000,"
                        + "\"stream\":0}\n");
            }
            index.write("{\"frame\":" + count + ",\"file\":\"" + pid + ".video/" + count + ".jpg\",\"serverUs\":"
                    + missingAtUs + ",\"width\":16,\"height\":12,\"rotation\":0,\"latencyUs\":40000,\"stream\":0}\n");
        }
        return out;
    }
}
