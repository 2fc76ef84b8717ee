package dev.improv.server.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * One performer's video in a session as the media recorder left it (docs/media-recorder.md): an image sequence
 * {@code media/<pid>.video/<frame>.jpg} indexed by {@code <pid>.video.jsonl} (one line per image with its
 * {@code serverUs}), and later segments {@code <pid>.seg2.video.jsonl}… after the performer left and came back.
 * Picks the images of one interaction {@code [startUs, endUs)} and packs them, bytes as stored (never re-encoded),
 * into one tar member, streamed: only the index lines (about 100 bytes per image) are held, never an image.
 */
final class VideoFrames {
    private static final ObjectMapper JSON = ProtocolCodec.mapper();

    /** One stored image: its file under {@code media/}, its index line's fields. */
    record Frame(Path file, String source, long serverUs, long bytes, Integer width, Integer height,
                 Integer rotation, Integer stream) {
    }

    /** A frame packed into a sample's frames tar: its name there ({@code <n>.jpg}), size and sha256. */
    record Packed(String name, long bytes, String sha256, String source) {
    }

    private final List<Frame> frames;
    private final int missing;

    private VideoFrames(List<Frame> frames, int missing) {
        this.frames = frames;
        this.missing = missing;
    }

    /**
     * The indexed images of {@code pid} under {@code mediaDir} (every segment, in order), or null when there is no
     * index (video off, not recorded). An index line whose image is missing, or whose {@code file} leaves the media
     * folder, is skipped and counted ({@link #missing}); a torn last line ends the index.
     */
    static VideoFrames find(Path mediaDir, String pid) throws IOException {
        if (pid == null || pid.isEmpty() || pid.contains("/") || pid.contains("\\") || pid.startsWith(".")) {
            return null;
        }
        Path root = mediaDir.toAbsolutePath().normalize();
        List<Frame> out = new ArrayList<>();
        int missing = 0;
        boolean any = false;
        for (int n = 1; n <= 64; n++) {
            String base = n == 1 ? pid : pid + ".seg" + n;
            Path index = mediaDir.resolve(base + ".video.jsonl");
            if (!Files.isRegularFile(index)) {
                // a segment may have audio but no video; past the last segment neither exists
                if (n > 1 && !Files.isRegularFile(mediaDir.resolve(base + ".wav"))) {
                    break;
                }
                continue;
            }
            any = true;
            try (BufferedReader in = Files.newBufferedReader(index, StandardCharsets.UTF_8)) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    JsonNode l;
                    try {
                        l = JSON.readTree(line);
                    } catch (IOException e) {
                        break; // a torn last line
                    }
                    if (l == null || !l.path("serverUs").isIntegralNumber()) {
                        continue;
                    }
                    String rel = l.path("file").asText(base + ".video/" + l.path("frame").asLong() + ".jpg");
                    Path file = root.resolve(rel).normalize();
                    if (!file.startsWith(root) || !Files.isRegularFile(file)) {
                        missing++;
                        continue;
                    }
                    out.add(new Frame(file, rel, l.get("serverUs").asLong(), Files.size(file), intOrNull(l, "width"),
                            intOrNull(l, "height"), intOrNull(l, "rotation"), intOrNull(l, "stream")));
                }
            }
        }
        return any ? new VideoFrames(out, missing) : null;
    }

    private static Integer intOrNull(JsonNode l, String field) {
        return l.path(field).isIntegralNumber() ? l.get(field).asInt() : null;
    }

    /** Index lines whose image was missing (a crash between the image and its line, or a deleted file). */
    int missing() {
        return missing;
    }

    /** The images captured inside {@code [startUs, endUs)}, in capture order. */
    List<Frame> within(long startUs, long endUs) {
        List<Frame> in = new ArrayList<>();
        for (Frame f : frames) {
            if (f.serverUs() >= startUs && f.serverUs() < endUs) {
                in.add(f);
            }
        }
        in.sort(java.util.Comparator.comparingLong(Frame::serverUs));
        return in;
    }

    static String name(int n) {
        return n + ".jpg";
    }

    /** Bytes of the frames tar {@link #writeTar} writes: each image's header and padded content, two end blocks. */
    static long tarBytes(List<Frame> frames) {
        long total = 2L * ShardWriter.BLOCK;
        for (int i = 0; i < frames.size(); i++) {
            total += ShardWriter.entryBytes(name(i), frames.get(i).bytes());
        }
        return total;
    }

    /**
     * Writes a plain tar of {@code 0.jpg, 1.jpg, …} (mode 0644, mtime 0, record 512: the same input gives the same
     * bytes), each image copied as stored; returns each image's name, size and sha256 for the manifest.
     */
    static List<Packed> writeTar(List<Frame> frames, OutputStream out) throws IOException {
        List<Packed> packed = new ArrayList<>();
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new ShardWriter.NonClosing(out), ShardWriter.BLOCK,
                "UTF-8");
        for (int i = 0; i < frames.size(); i++) {
            Frame f = frames.get(i);
            TarArchiveEntry e = new TarArchiveEntry(name(i));
            e.setSize(f.bytes());
            e.setModTime(0);
            e.setMode(0644);
            tar.putArchiveEntry(e);
            MessageDigest md = SeamlessExport.digest();
            long copied;
            try (InputStream in = Files.newInputStream(f.file())) {
                copied = in.transferTo(new DigestOutputStream(new ShardWriter.NonClosing(tar), md));
            }
            if (copied != f.bytes()) {
                throw new IOException(f.file() + ": changed size while exporting (" + copied + " bytes, was "
                        + f.bytes() + ")");
            }
            tar.closeArchiveEntry();
            packed.add(new Packed(name(i), f.bytes(), HexFormat.of().formatHex(md.digest()), f.source()));
        }
        tar.finish();
        tar.close(); // closes NonClosing only: flushes into the shard member
        return packed;
    }

    /** The {@code <key>.video.jsonl} lines: one per packed image, times from the interaction start. */
    static byte[] index(List<Frame> frames, long startUs) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < frames.size(); i++) {
            Frame f = frames.get(i);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("frame", i);
            m.put("file", name(i));
            m.put("offsetUs", f.serverUs() - startUs);
            m.put("t", (f.serverUs() - startUs) / 1e6);
            m.put("width", f.width());
            m.put("height", f.height());
            m.put("rotation", f.rotation());
            m.put("serverUs", f.serverUs());
            m.put("stream", f.stream());
            m.put("source", f.source());
            b.append(JSON.writeValueAsString(m)).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }
}
