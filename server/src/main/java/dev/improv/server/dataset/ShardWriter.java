package dev.improv.server.dataset;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * WebDataset shards: plain POSIX tar files {@code <prefix>-000000.tar}, … whose members are grouped by sample key
 * ({@code <key>.wav}, {@code <key>.json}, …, adjacent), each shard at most {@code maxBytes} unless one sample alone
 * is larger (it then gets a shard of its own). The tar record size is one 512-byte block, so a shard is exactly
 * its members plus the two end blocks. Computes the sha256 of every member and of every shard while writing.
 * One thread; streamed (a member is copied through, never held).
 */
final class ShardWriter implements AutoCloseable {
    static final int BLOCK = 512;

    /** A member of a shard as the manifest lists it. */
    record Member(String shard, String name, long size, String sha256) {
    }

    /** A finished shard. */
    record Shard(String name, long bytes, String sha256, int members) {
    }

    /** Writes exactly the member's declared size. */
    @FunctionalInterface
    interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    private final Path dir;
    private final String prefix;
    private final long maxBytes;
    private final List<Member> members = new ArrayList<>();
    private final List<Shard> shards = new ArrayList<>();
    private TarArchiveOutputStream tar;
    private MessageDigest shardDigest;
    private CountingStream shardBytes;
    private String shardName;
    private int shardMembers;
    private long shardEstimate;

    ShardWriter(Path dir, String prefix, long maxBytes) {
        this.dir = dir;
        this.prefix = prefix;
        this.maxBytes = maxBytes;
    }

    /** Bytes a member of {@code size} takes in a shard (header, PAX header for a long name, padded content). */
    static long entryBytes(String name, long size) {
        long pax = name.length() >= 100 ? 3L * BLOCK : 0;
        return pax + BLOCK + (size + BLOCK - 1) / BLOCK * BLOCK;
    }

    /** Starts a sample of {@code bytes} (sum of {@link #entryBytes}): a new shard when it would not fit. */
    void beginSample(long bytes) throws IOException {
        if (tar != null && shardMembers > 0 && shardEstimate + bytes + 2L * BLOCK > maxBytes) {
            finishShard();
        }
        if (tar == null) {
            openShard();
        }
    }

    Member add(String name, long size, Content content) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(size);
        e.setModTime(0); // same input, same bytes: a re-export is byte-identical
        e.setMode(0644);
        tar.putArchiveEntry(e);
        MessageDigest md = sha256();
        CountingStream counted = new CountingStream(new DigestOutputStream(new NonClosing(tar), md));
        content.writeTo(counted);
        counted.flush();
        if (counted.count != size) {
            throw new IOException("member " + name + ": wrote " + counted.count + " bytes, declared " + size);
        }
        tar.closeArchiveEntry();
        shardMembers++;
        shardEstimate += entryBytes(name, size);
        Member m = new Member(shardName, name, size, HexFormat.of().formatHex(md.digest()));
        members.add(m);
        return m;
    }

    String currentShard() {
        return shardName;
    }

    List<Member> members() {
        return members;
    }

    List<Shard> shards() {
        return shards;
    }

    private void openShard() throws IOException {
        shardName = String.format("%s-%06d.tar", prefix, shards.size());
        FileChannel ch = FileChannel.open(dir.resolve(shardName), Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE));
        shardDigest = sha256();
        shardBytes = new CountingStream(new DigestOutputStream(new java.io.BufferedOutputStream(
                new ForcingStream(Channels.newOutputStream(ch), ch), 256 * 1024), shardDigest));
        tar = new TarArchiveOutputStream(shardBytes, BLOCK, "UTF-8");
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        shardMembers = 0;
        shardEstimate = 0;
    }

    private void finishShard() throws IOException {
        tar.finish();
        tar.close(); // flushes, forces and closes the file
        shards.add(new Shard(shardName, shardBytes.count, HexFormat.of().formatHex(shardDigest.digest()),
                shardMembers));
        tar = null;
    }

    @Override
    public void close() throws IOException {
        if (tar != null) {
            finishShard();
        }
    }

    /** Closes the open shard without finishing it (after a failure; the export is thrown away). */
    void abandon() {
        if (tar != null) {
            try {
                tar.close();
            } catch (IOException | RuntimeException ignored) {
                // the export is being deleted anyway
            }
            tar = null;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static final class CountingStream extends FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }

    /** Lets a member's writer (or a tar nested in a member) close its stream without closing the one below. */
    static final class NonClosing extends FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }

    /** Forces the file to the disk before closing it: a shard listed in a manifest is on the disk. */
    private static final class ForcingStream extends FilterOutputStream {
        private final FileChannel channel;

        ForcingStream(OutputStream out, FileChannel channel) {
            super(out);
            this.channel = channel;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
            channel.force(true);
            out.close();
        }
    }
}
