package dev.improv.server.config;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files and folders of the data directory, owner-only from the moment they exist: folders 0700, files 0600,
 * given as attributes at creation (never created with the default mode and tightened later, which leaves a
 * window in which other local users can open them). Names, prompts, consent records and secrets live there.
 * On a file system without POSIX permissions the attributes are empty and the defaults apply. Blocking I/O:
 * start-up, or the log writer's own thread.
 */
public final class OwnerOnly {
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    private static final FileAttribute<?>[] NONE = new FileAttribute<?>[0];

    private OwnerOnly() {
    }

    /** For {@code Files.newByteChannel(path, options, OwnerOnly.file())} or {@code FileChannel.open}. */
    public static FileAttribute<?>[] file() {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)} : NONE;
    }

    /** For {@code Files.createDirectory(path, OwnerOnly.dir())}. */
    public static FileAttribute<?>[] dir() {
        return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIR)} : NONE;
    }

    /**
     * Like {@link Files#createDirectories} but every folder it creates is 0700 from the start (folders that exist
     * are left as they are).
     */
    public static Path createDirectories(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            return dir;
        }
        Path parent = absolute.getParent();
        if (parent != null) {
            createDirectories(parent);
        }
        try {
            Files.createDirectory(absolute, dir());
        } catch (java.nio.file.FileAlreadyExistsException e) {
            if (!Files.isDirectory(absolute)) {
                throw e;
            }
        }
        return dir;
    }

    /**
     * The data directory itself: created 0700, or, when it exists and has group or other permissions, set to 0700
     * (an operator who wants it shared says so with their own tools after start).
     */
    public static void dataDirectory(Path dir) throws IOException {
        createDirectories(dir);
        if (POSIX && !Files.getPosixFilePermissions(dir).equals(DIR)) {
            Files.setPosixFilePermissions(dir, DIR);
        }
    }
}
