package dev.improv.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The token signing keys in force: the keys that verify ({@code kid} → HMAC secret), the one that signs new
 * tokens, and the retired key ids whose tokens are refused with their own reason. Immutable; a reload builds a
 * new one.
 *
 * <p>The server's generated secret ({@code <data-dir>/token-secret}) is always the key {@value #DEFAULT_KID}
 * unless the key file retires it. The optional key file is JSON, readable by its owner only:
 * <pre>{"signing": "2026-12", "keys": {"2026-12": "a secret of 32 or more characters"}, "retired": ["2026-10"]}</pre>
 * A secret in the file is used as its UTF-8 bytes, as most JWT libraries use a string secret.
 */
public final class TokenKeys {
    public static final String DEFAULT_KID = "default";
    public static final int MIN_SECRET_BYTES = 32;
    private static final int MAX_KEYS = 64;
    private static final Pattern KID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final Map<String, byte[]> verifying;
    private final String signing;
    private final Set<String> retired;
    /** The file the keys came from, or null. */
    private final Path file;

    private TokenKeys(Map<String, byte[]> verifying, String signing, Set<String> retired, Path file) {
        this.verifying = verifying;
        this.signing = signing;
        this.retired = retired;
        this.file = file;
    }

    /** Only the server's own secret, as key {@value #DEFAULT_KID}. */
    public static TokenKeys single(byte[] defaultSecret) {
        checkSecret(DEFAULT_KID, defaultSecret);
        return new TokenKeys(Map.of(DEFAULT_KID, defaultSecret.clone()), DEFAULT_KID, Set.of(), null);
    }

    /**
     * The default key plus the key file's keys. Blocking file I/O: start-up or a reload thread only.
     *
     * @param keyFile the key file, or null when there is none (then only the default key)
     * @throws IllegalArgumentException naming the field and the reason when the file is wrong or readable by others
     */
    public static TokenKeys load(byte[] defaultSecret, Path keyFile) throws IOException {
        if (keyFile == null) {
            return single(defaultSecret);
        }
        dev.improv.server.config.Secrets.requireOwnerOnly(keyFile, "token key file");
        JsonNode root;
        try {
            root = ProtocolCodec.mapper().readTree(Files.readAllBytes(keyFile));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("token key file " + keyFile + " is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("token key file " + keyFile + " must hold a JSON object");
        }
        Set<String> retired = new LinkedHashSet<>();
        for (JsonNode kid : root.path("retired")) {
            retired.add(kid(kid.asText(""), keyFile, "retired"));
        }
        Map<String, byte[]> verifying = new LinkedHashMap<>();
        if (!retired.contains(DEFAULT_KID)) {
            checkSecret(DEFAULT_KID, defaultSecret);
            verifying.put(DEFAULT_KID, defaultSecret.clone());
        }
        JsonNode keys = root.path("keys");
        if (!keys.isMissingNode() && !keys.isObject()) {
            throw new IllegalArgumentException("token key file " + keyFile + ": 'keys' must be an object kid -> secret");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = keys.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String kid = kid(e.getKey(), keyFile, "keys");
            if (kid.equals(DEFAULT_KID)) {
                throw new IllegalArgumentException("token key file " + keyFile + ": the key id '" + DEFAULT_KID
                        + "' is the server's generated secret; give file keys other ids");
            }
            if (retired.contains(kid)) {
                throw new IllegalArgumentException("token key file " + keyFile + ": key '" + kid
                        + "' is both in 'keys' and in 'retired'; remove its secret when you retire it");
            }
            if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException("token key file " + keyFile + ": the secret of key '" + kid
                        + "' must be a string");
            }
            byte[] secret = e.getValue().asText().getBytes(StandardCharsets.UTF_8);
            checkSecret(kid, secret);
            verifying.put(kid, secret);
        }
        if (verifying.size() > MAX_KEYS) {
            throw new IllegalArgumentException("token key file " + keyFile + ": at most " + MAX_KEYS + " keys");
        }
        String signing = root.path("signing").asText(verifying.size() == 1 ? verifying.keySet().iterator().next() : "");
        if (!verifying.containsKey(signing)) {
            throw new IllegalArgumentException("token key file " + keyFile + ": 'signing' must name one of the keys "
                    + verifying.keySet() + (retired.contains(signing) ? " ('" + signing + "' is retired)" : ""));
        }
        return new TokenKeys(Collections.unmodifiableMap(verifying), signing, Collections.unmodifiableSet(retired),
                keyFile);
    }

    private static String kid(String kid, Path file, String field) {
        if (!KID.matcher(kid).matches()) {
            throw new IllegalArgumentException("token key file " + file + ": '" + field + "' has the key id '" + kid
                    + "'; key ids are 1-64 of A-Z a-z 0-9 . _ -");
        }
        return kid;
    }

    private static void checkSecret(String kid, byte[] secret) {
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the secret of token key '" + kid + "' must have at least "
                    + MIN_SECRET_BYTES + " bytes (HS256 needs 256 bits)");
        }
    }

    /** The key id that signs new tokens. */
    public String signingKid() {
        return signing;
    }

    byte[] signingSecret() {
        return verifying.get(signing);
    }

    /** The secret of a key that verifies, or null when the key is unknown or retired. */
    byte[] secret(String kid) {
        return verifying.get(kid);
    }

    public boolean isRetired(String kid) {
        return retired.contains(kid);
    }

    /** Key ids that verify tokens (secrets are never exposed). */
    public Set<String> activeKids() {
        return verifying.keySet();
    }

    public Set<String> retiredKids() {
        return retired;
    }

    /** The key file, or null when only the generated secret is in use. */
    public Path file() {
        return file;
    }

    @Override
    public String toString() { // never the secrets
        return "TokenKeys{signing=" + signing + ", active=" + verifying.keySet() + ", retired=" + retired + "}";
    }
}
