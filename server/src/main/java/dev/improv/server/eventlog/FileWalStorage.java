package dev.improv.server.eventlog;

import dev.improv.server.config.OwnerOnly;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link WalStorage} on the local file system: one open {@link FileChannel}, the current segment. */
public final class FileWalStorage implements WalStorage {
    private static final Logger LOG = LoggerFactory.getLogger(FileWalStorage.class);

    private final WalSegments segments;
    private FileChannel channel;
    private Object fileKey;
    private int segment;
    private long offset;

    public FileWalStorage(WalSegments segments) {
        this.segments = segments;
    }

    @Override
    public void openAppend(int segmentNo, long at) throws IOException {
        OwnerOnly.createDirectories(segments.dir());
        if (segmentNo <= 0) {
            create(1);
            return;
        }
        FileChannel ch = FileChannel.open(segments.path(segmentNo), StandardOpenOption.READ, StandardOpenOption.WRITE);
        channel = ch;
        fileKey = key(segments.path(segmentNo));
        segment = segmentNo;
        offset = at;
    }

    private void create(int segmentNo) throws IOException {
        Path path = segments.path(segmentNo);
        FileChannel ch = FileChannel.open(path, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE), OwnerOnly.file());
        try {
            ByteBuffer magic = ByteBuffer.wrap(WalFormat.MAGIC);
            while (magic.hasRemaining()) {
                ch.write(magic, magic.position());
            }
            ch.force(true);
            forceDirectory(segments.dir());
        } catch (IOException | RuntimeException e) {
            ch.close();
            Files.deleteIfExists(path);
            throw e;
        }
        if (channel != null) {
            channel.close();
        }
        channel = ch;
        fileKey = key(path);
        segment = segmentNo;
        offset = WalFormat.HEADER;
    }

    @Override
    public int segment() {
        return segment;
    }

    @Override
    public long offset() {
        return offset;
    }

    @Override
    public void write(ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            offset += channel.write(bytes, offset);
        }
    }

    @Override
    public void force() throws IOException {
        channel.force(false);
    }

    @Override
    public void roll() throws IOException {
        channel.force(false);
        create(segment + 1);
    }

    @Override
    public void checkIntact() throws IOException {
        Path path = segments.path(segment);
        Object now;
        try {
            now = key(path);
        } catch (NoSuchFileException e) {
            throw new IOException("write-ahead log segment " + path + " was deleted while being written");
        }
        if (!Objects.equals(now, fileKey)) {
            throw new IOException("write-ahead log segment " + path + " was replaced by another file");
        }
    }

    @Override
    public void restore(long committed) throws IOException {
        Path path = segments.path(segment);
        boolean vanished;
        try {
            vanished = !Objects.equals(key(path), fileKey);
        } catch (NoSuchFileException e) {
            vanished = true;
        }
        if (!vanished) {
            if (channel.size() > committed) {
                channel.truncate(committed);
            }
            offset = committed;
            return;
        }
        // Rebuild the file from the descriptor still open on the deleted one: acknowledged records stay.
        OwnerOnly.createDirectories(segments.dir());
        Path tmp = path.resolveSibling(path.getFileName() + ".restore");
        try (FileChannel out = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), OwnerOnly.file())) {
            long copied = 0;
            while (copied < committed) {
                long n = channel.transferTo(copied, committed - copied, out);
                if (n <= 0) {
                    throw new IOException("could not copy segment " + path + " back: " + copied + " of " + committed
                            + " bytes");
                }
                copied += n;
            }
            out.force(true);
        }
        try {
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
        }
        forceDirectory(segments.dir());
        FileChannel reopened = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        channel.close();
        channel = reopened;
        fileKey = key(path);
        offset = committed;
        segments.dropReader(segment);
        LOG.error("write-ahead log segment {} had vanished; rewritten from the open descriptor ({} bytes)", path,
                committed);
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    private static Object key(Path path) throws IOException {
        BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
        return a.fileKey() != null ? a.fileKey() : a.creationTime();
    }

    /** Makes a new file in {@code dir} durable. Not possible on every platform: then a no-op. */
    static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("cannot fsync directory {} on this platform", dir, e);
        }
    }
}
