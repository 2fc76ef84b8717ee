package dev.improv.server.eventlog;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where session logs live: {@code <dataDir>/sessions/<sessionId>/events.jsonl} and {@code meta.json}. Session ids
 * are checked against {@link #ID} before they become part of a path, so that no id can leave the sessions folder.
 * Immutable; safe from any thread.
 */
public final class SessionFiles {
    /** What a session id may look like (the server makes {@code yyyyMMddTHHmmssZ-room-rand}). */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9-]{1,128}");
    public static final String EVENTS = "events.jsonl";
    public static final String META = "meta.json";

    private final Path root;

    public SessionFiles(Path dataDir) {
        this.root = dataDir.resolve("sessions").toAbsolutePath().normalize();
    }

    public static boolean validId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /** The folder holding every session folder. */
    public Path root() {
        return root;
    }

    /** The folder of one session; throws {@link IllegalArgumentException} for an id that fails {@link #ID}. */
    public Path dir(String sessionId) {
        if (!validId(sessionId)) {
            throw new IllegalArgumentException("invalid session id");
        }
        Path dir = root.resolve(sessionId).normalize();
        if (!dir.getParent().equals(root)) {
            throw new IllegalArgumentException("invalid session id");
        }
        return dir;
    }

    public Path events(String sessionId) {
        return dir(sessionId).resolve(EVENTS);
    }

    public Path meta(String sessionId) {
        return dir(sessionId).resolve(META);
    }

    /** Ids of the session folders on disk, sorted (session ids sort by start time). Blocking I/O. */
    public List<String> ids() throws IOException {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (validId(name)) {
                    out.add(name);
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        Collections.sort(out);
        return out;
    }
}
