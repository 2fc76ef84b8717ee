package dev.improv.server.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;

/**
 * The token secret and the admin key: read from the files the operator names, or generated on first start and
 * kept in the data directory, created owner-only (0600) from the start, so that links stay valid across
 * restarts. Start-up only (blocking file I/O).
 */
public final class Secrets {
    static final String TOKEN_SECRET_FILE = "token-secret";
    static final String ADMIN_KEY_FILE = "admin-key";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {
    }

    /** Where the token secret lives: {@code file} when the operator gave one, else in the data directory. */
    public static Path tokenSecretFile(Path dataDir, Path file) {
        return file != null ? file.toAbsolutePath() : dataDir.resolve(TOKEN_SECRET_FILE);
    }

    /** Where the admin key lives: {@code file} when the operator gave one, else in the data directory. */
    public static Path adminKeyFile(Path dataDir, Path file) {
        return file != null ? file.toAbsolutePath() : dataDir.resolve(ADMIN_KEY_FILE);
    }

    public static byte[] tokenSecret(Path dataDir) throws IOException {
        return tokenSecret(dataDir, null);
    }

    /** Reads the secret from {@code file} (base64, must exist) or from / into the data directory. */
    public static byte[] tokenSecret(Path dataDir, Path file) throws IOException {
        String b64 = file != null ? readGiven(file, "token secret")
                : readOrCreate(tokenSecretFile(dataDir, null), () -> Base64.getEncoder().encodeToString(randomBytes(32)));
        try {
            byte[] secret = Base64.getDecoder().decode(b64);
            if (secret.length < 16) {
                throw new IllegalArgumentException("the token secret in " + tokenSecretFile(dataDir, file)
                        + " is shorter than 16 bytes");
            }
            return secret;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the token secret in " + tokenSecretFile(dataDir, file)
                    + " must be base64 of at least 16 bytes", e);
        }
    }

    public static String adminKey(Path dataDir) throws IOException {
        return adminKey(dataDir, null);
    }

    /** Reads the key from {@code file} (must exist) or from / into the data directory. */
    public static String adminKey(Path dataDir, Path file) throws IOException {
        String key = file != null ? readGiven(file, "admin key")
                : readOrCreate(adminKeyFile(dataDir, null), () -> HexFormat.of().formatHex(randomBytes(24)));
        if (key.length() < 16) {
            throw new IllegalArgumentException("the admin key in " + adminKeyFile(dataDir, file)
                    + " is shorter than 16 characters");
        }
        return key;
    }

    private static String readGiven(Path file, String what) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("the " + what + " file " + file + " does not exist");
        }
        return Files.readString(file, StandardCharsets.US_ASCII).trim();
    }

    /**
     * Refuses a file that holds secrets when its group or others may read it (start-up or reload, blocking I/O).
     *
     * @param what what the file is, for the message ("token key file")
     * @throws IllegalArgumentException naming the file, its mode and the fix
     */
    public static void requireOwnerOnly(Path file, String what) throws IOException {
        java.util.Set<java.nio.file.attribute.PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system: nothing to check
        }
        for (java.nio.file.attribute.PosixFilePermission p : perms) {
            if (p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_")) {
                throw new IllegalArgumentException(what + " " + file + " holds secrets and may be read by others ("
                        + java.nio.file.attribute.PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file);
            }
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String readOrCreate(Path file, java.util.function.Supplier<String> generator) throws IOException {
        if (Files.exists(file)) {
            return Files.readString(file, StandardCharsets.US_ASCII).trim();
        }
        OwnerOnly.createDirectories(file.getParent());
        String value = generator.get();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try (SeekableByteChannel out = Files.newByteChannel(tmp, EnumSet.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), OwnerOnly.file())) {
            ByteBuffer bytes = ByteBuffer.wrap((value + "\n").getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        return value;
    }
}
