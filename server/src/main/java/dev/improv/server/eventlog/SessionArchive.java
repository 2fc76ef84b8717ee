package dev.improv.server.eventlog;

import dev.improv.server.protocol.ProtocolCodec;
import dev.improv.server.room.SessionMeta;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions on disk, read back for export: listing, metadata, checked logs and the dataset view. Every method
 * is blocking file I/O; run it on an executor of its own, never on a Netty I/O thread or a room thread.
 */
public final class SessionArchive {
    private static final Logger LOG = LoggerFactory.getLogger(SessionArchive.class);

    private final SessionFiles files;
    private final SessionLogReader reader;

    public SessionArchive(SessionFiles files) {
        this.files = files;
        this.reader = new SessionLogReader(files);
    }

    /** One line of the session list. Fields are null when the metadata file is missing or unreadable. */
    public record SessionSummary(String id, String roomId, String roomName, Long startedAt, Long endedAt,
                                 Integer participants, Integer scenes, long logBytes) {
    }

    public SessionLogReader reader() {
        return reader;
    }

    /** True when the session has a folder (valid id, created by the writer). */
    public boolean exists(String sessionId) {
        return SessionFiles.validId(sessionId) && Files.isDirectory(files.dir(sessionId));
    }

    public List<SessionSummary> list() throws IOException {
        List<SessionSummary> out = new ArrayList<>();
        for (String id : files.ids()) {
            long bytes = sizeOrZero(files.events(id));
            Optional<SessionMeta> meta = meta(id);
            out.add(meta.map(m -> new SessionSummary(id, m.roomId(), m.roomName(), m.startedAt(), m.endedAt(),
                            m.participants().size(), m.scenes().size(), bytes))
                    .orElseGet(() -> new SessionSummary(id, null, null, null, null, null, null, bytes)));
        }
        return out;
    }

    /** The session's metadata, or empty when the file is missing or unreadable (logged). */
    public Optional<SessionMeta> meta(String sessionId) throws IOException {
        Path path = files.meta(sessionId);
        try {
            return Optional.of(ProtocolCodec.mapper().readValue(Files.readAllBytes(path), SessionMeta.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            if (e instanceof com.fasterxml.jackson.core.JacksonException) {
                LOG.warn("session {}: unreadable {}: {}", sessionId, path, e.getMessage());
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Reads and checks the log, then builds the dataset view; problems of the log become warnings. */
    public DatasetBuilder.Dataset dataset(String sessionId) throws IOException {
        SessionLogReader.ReadResult log = reader.read(sessionId);
        DatasetBuilder.Dataset d = DatasetBuilder.build(meta(sessionId).orElse(null), log.events());
        if (log.problems().isEmpty() && d.sessionId() != null) {
            return d;
        }
        List<String> warnings = new ArrayList<>();
        for (String problem : log.problems()) {
            warnings.add("log: " + problem);
        }
        warnings.addAll(d.warnings());
        return new DatasetBuilder.Dataset(d.formatVersion(), sessionId, d.roomId(), d.roomName(), d.startedAt(),
                d.endedAt(), d.vadFrameMs(), d.participants(), d.clockOffsets(), d.scenes(), List.copyOf(warnings));
    }

    private static long sizeOrZero(Path path) throws IOException {
        try {
            return Files.size(path);
        } catch (NoSuchFileException e) {
            return 0;
        }
    }
}
