package dev.improv.server.take;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The files of local takes under {@code <data>/takes/<room>/<scene>/}: each chunk as {@code <pid>/chunks/<i>.pcm}
 * (the camera's: {@code <pid>/video/<i>.webm}) plus {@code <i>.json} (its description, written last: a chunk
 * without it was never confirmed), and after assembly {@code <pid>.wav}, {@code <pid>.json} and the camera's
 * {@code <pid>.webm} (one per recording run: {@code <pid>.<segment>.webm} after the first). Every write is to a temporary file, forced to disk, renamed
 * into place and the directory forced, so a confirmed chunk survives a crash and a half-written one is never
 * taken for a chunk. Called from the takes thread only.
 */
public final class TakeStore {
    /** A room's refusals of stage consent, one JSON line each. */
    static final String DECLINES = "declines.jsonl";
    private final Path root;

    public TakeStore(Path dataDir) {
        this.root = dataDir.resolve("takes");
    }

    public Path root() {
        return root;
    }

    Path takeDir(String roomId, int scene) {
        return root.resolve(roomId).resolve(Integer.toString(scene));
    }

    private Path chunkDir(String roomId, int scene, String pid) {
        return takeDir(roomId, scene).resolve(pid).resolve("chunks");
    }

    private Path videoDir(String roomId, int scene, String pid) {
        return takeDir(roomId, scene).resolve(pid).resolve("video");
    }

    /** Writes one chunk durably: PCM first, then its description; both forced, renamed, the folder forced. */
    void writeChunk(String roomId, int scene, String pid, ChunkMeta meta, byte[] pcm) throws IOException {
        writeChunk(chunkDir(roomId, scene, pid), meta.index() + ".pcm", meta.index(), meta, pcm);
    }

    /** The same for a camera chunk. */
    void writeVideoChunk(String roomId, int scene, String pid, VideoChunkMeta meta, byte[] webm) throws IOException {
        writeChunk(videoDir(roomId, scene, pid), meta.index() + ".webm", meta.index(), meta, webm);
    }

    private static void writeChunk(Path folder, String name, int index, Object meta, byte[] bytes) throws IOException {
        Path dir = Files.createDirectories(folder);
        writeDurably(dir.resolve(name), bytes);
        writeDurably(dir.resolve(index + ".json"), ProtocolCodec.mapper().writeValueAsBytes(meta));
        forceDir(dir);
    }

    byte[] readChunk(String roomId, int scene, String pid, int index) throws IOException {
        return Files.readAllBytes(chunkDir(roomId, scene, pid).resolve(index + ".pcm"));
    }

    Path videoChunk(String roomId, int scene, String pid, int index) {
        return videoDir(roomId, scene, pid).resolve(index + ".webm");
    }

    /** The confirmed chunks of one track on disk (start-up: takes left open by a stop or crash). */
    List<ChunkMeta> chunksOnDisk(Path chunkDir) throws IOException {
        return onDisk(chunkDir, ".pcm", ChunkMeta.class);
    }

    /** The confirmed camera chunks of one track on disk ({@code <pid>/video}). */
    List<VideoChunkMeta> videoChunksOnDisk(Path videoDir) throws IOException {
        return onDisk(videoDir, ".webm", VideoChunkMeta.class);
    }

    private static <M> List<M> onDisk(Path dir, String dataSuffix, Class<M> type) throws IOException {
        List<M> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.endsWith(".json") && Files.isRegularFile(f.resolveSibling(name.replace(".json", dataSuffix)))) {
                    out.add(ProtocolCodec.mapper().readValue(f.toFile(), type));
                }
            }
        }
        return out;
    }

    /** Removes one track's chunk files (microphone and camera) once what was assembled of them is durable. */
    void deleteChunks(String roomId, int scene, String pid) throws IOException {
        deleteFolder(chunkDir(roomId, scene, pid));
        deleteFolder(videoDir(roomId, scene, pid));
    }

    private static void deleteFolder(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    /**
     * Appends one refusal of consent to {@code <room>/declines.jsonl} and forces it (and the folder, when the file
     * is new) to disk. One line per performer and consent version: the caller writes only a new one.
     */
    void appendDecline(String roomId, String pid, int version, long atUs) throws IOException {
        Path dir = Files.createDirectories(root.resolve(roomId));
        Path file = dir.resolve(DECLINES);
        boolean created = !Files.exists(file);
        byte[] json = ProtocolCodec.mapper().writeValueAsBytes(Map.of("participant", pid, "consentVersion", version,
                "declinedAtUs", atUs));
        byte[] line = Arrays.copyOf(json, json.length + 1);
        line[json.length] = '\n';
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer b = ByteBuffer.wrap(line);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        if (created) {
            forceDir(dir);
        }
    }

    /** The refusals of one room's folder: performer → the consent version declined last (a torn last line is skipped). */
    Map<String, Integer> declines(Path roomDir) throws IOException {
        Map<String, Integer> out = new HashMap<>();
        Path file = roomDir.resolve(DECLINES);
        if (!Files.isRegularFile(file)) {
            return out;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            try {
                JsonNode n = ProtocolCodec.mapper().readTree(line);
                if (n != null && n.path("participant").isTextual() && n.path("consentVersion").canConvertToInt()) {
                    out.put(n.get("participant").asText(), n.get("consentVersion").asInt());
                }
            } catch (IOException e) {
                // a line cut by a crash while it was written: it was never answered as stored
            }
        }
        return out;
    }

    /** Bytes of every file under the takes folder (the server quota counts them all). */
    long bytesOnDisk() throws IOException {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    static void writeDurably(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static void forceDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    static JsonNode readJson(Path file) throws IOException {
        return ProtocolCodec.mapper().readTree(file.toFile());
    }
}
