package dev.improv.server.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The token secret and the admin key, generated on first start and kept in the data directory (mode 600), so
 * that links stay valid across restarts. Start-up only (blocking file I/O).
 */
public final class Secrets {
    static final String TOKEN_SECRET_FILE = "token-secret";
    static final String ADMIN_KEY_FILE = "admin-key";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Secrets() {
    }

    public static byte[] tokenSecret(Path dataDir) throws IOException {
        String b64 = readOrCreate(dataDir.resolve(TOKEN_SECRET_FILE),
                () -> Base64.getEncoder().encodeToString(randomBytes(32)));
        return Base64.getDecoder().decode(b64);
    }

    public static String adminKey(Path dataDir) throws IOException {
        return readOrCreate(dataDir.resolve(ADMIN_KEY_FILE), () -> HexFormat.of().formatHex(randomBytes(24)));
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
                        + PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file);
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
        Files.createDirectories(file.getParent());
        String value = generator.get();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, value + "\n", StandardCharsets.US_ASCII, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system: keep the default permissions
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return value;
    }
}
