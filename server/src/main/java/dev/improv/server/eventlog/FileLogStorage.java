package dev.improv.server.eventlog;

import java.io.IOException;
import java.nio.ByteBuffer;
import dev.improv.server.config.OwnerOnly;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import dev.improv.server.protocol.ProtocolCodec;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link LogStorage} on the local file system with {@link FileChannel}. Writer thread only. */
public final class FileLogStorage implements LogStorage {
    private static final Logger LOG = LoggerFactory.getLogger(FileLogStorage.class);

    private final SessionFiles files;

    public FileLogStorage(SessionFiles files) {
        this.files = files;
    }

    @Override
    public List<byte[]> readEvents(String sessionId, long fromSeq, long toSeqExclusive) throws IOException {
        List<byte[]> out = new ArrayList<>();
        for (SessionLogReader.LogEvent e : SessionLogReader.read(files.events(sessionId), fromSeq).events()) {
            if (e.seq() >= toSeqExclusive) {
                break;
            }
            out.add(ProtocolCodec.mapper().writeValueAsBytes(e.json()));
        }
        return out;
    }

    @Override
    public EventFile openEvents(String sessionId) throws IOException {
        Path dir = files.dir(sessionId);
        boolean newDir = !Files.isDirectory(dir);
        OwnerOnly.createDirectories(dir);
        Path path = dir.resolve(SessionFiles.EVENTS);
        boolean newFile = !Files.exists(path);
        FileChannel channel = FileChannel.open(path, java.util.Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE), OwnerOnly.file());
        try {
            long size = channel.size();
            long keep = SessionLogReader.completeLength(channel);
            if (keep < size) {
                LOG.warn("session {}: cutting a torn last line ({} bytes) off {} before appending", sessionId,
                        size - keep, path);
                channel.truncate(keep);
                channel.force(false);
            }
            if (newFile) {
                // A new file is only durable once its directory entry is: fsync the folder (and its parent).
                if (newDir) {
                    forceDirectory(files.root());
                }
                forceDirectory(dir);
            }
            return new ChannelFile(channel, channel.size());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    public void writeMeta(String sessionId, byte[] json, boolean sync) throws IOException {
        Path dir = files.dir(sessionId);
        OwnerOnly.createDirectories(dir);
        Path tmp = dir.resolve(SessionFiles.META + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING), OwnerOnly.file())) {
            ByteBuffer bytes = ByteBuffer.wrap(json);
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            if (sync) {
                out.force(true);
            }
        }
        try {
            Files.move(tmp, dir.resolve(SessionFiles.META), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve(SessionFiles.META), StandardCopyOption.REPLACE_EXISTING);
        }
        if (sync) {
            forceDirectory(dir);
        }
    }

    /** Makes a rename or a new file in {@code dir} durable. Not possible on every platform: then a no-op. */
    private static void forceDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("cannot fsync directory {} on this platform", dir, e);
        }
    }

    private static final class ChannelFile implements EventFile {
        private final FileChannel channel;
        private long end;

        ChannelFile(FileChannel channel, long end) {
            this.channel = channel;
            this.end = end;
        }

        @Override
        public long size() throws IOException {
            return channel.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            channel.truncate(size);
            end = size;
        }

        @Override
        public void write(ByteBuffer bytes) throws IOException {
            while (bytes.hasRemaining()) {
                end += channel.write(bytes, end);
            }
        }

        @Override
        public void force() throws IOException {
            channel.force(false);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
