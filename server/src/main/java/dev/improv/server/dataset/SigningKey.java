package dev.improv.server.dataset;

import dev.improv.server.config.AtomicFiles;
import dev.improv.server.config.OwnerOnly;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The server's Ed25519 key that signs export manifests: {@code <dataDir>/dataset-signing.key} (PKCS#8, owner-only),
 * made on first use, and its public half {@code dataset-signing.pub} (PEM, SubjectPublicKeyInfo) that every export
 * carries and an operator hands to buyers. The JDK's own Ed25519; no library. Thread-safe.
 */
public final class SigningKey {
    static final String PUBLIC_PEM_TYPE = "PUBLIC KEY";
    private final PrivateKey privateKey;
    private final PublicKey publicKey;

    private SigningKey(PrivateKey privateKey, PublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    /** The key of a data directory, generated (and stored) on first use. */
    public static synchronized SigningKey inDataDir(Path dataDir) throws IOException {
        Path priv = dataDir.resolve("dataset-signing.key");
        Path pub = dataDir.resolve("dataset-signing.pub");
        try {
            KeyFactory kf = KeyFactory.getInstance("Ed25519");
            if (Files.exists(priv)) {
                byte[] der = Base64.getMimeDecoder().decode(pem(Files.readString(priv), "PRIVATE KEY"));
                PrivateKey p = kf.generatePrivate(new PKCS8EncodedKeySpec(der));
                PublicKey q = readPublic(Files.readString(pub));
                return new SigningKey(p, q);
            }
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            OwnerOnly.createDirectories(dataDir);
            AtomicFiles.write(pub, toPem(PUBLIC_PEM_TYPE, pair.getPublic().getEncoded()).getBytes(StandardCharsets.US_ASCII));
            AtomicFiles.write(priv, toPem("PRIVATE KEY", pair.getPrivate().getEncoded()).getBytes(StandardCharsets.US_ASCII));
            return new SigningKey(pair.getPrivate(), pair.getPublic());
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException("dataset signing key in " + dataDir + " is unreadable: " + e.getMessage(), e);
        }
    }

    public byte[] sign(byte[] data) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(privateKey);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public String publicPem() {
        return toPem(PUBLIC_PEM_TYPE, publicKey.getEncoded());
    }

    public String fingerprint() {
        return fingerprint(publicKey);
    }

    /** sha256 of the encoded public key, hex: what an operator reads out to a buyer to pin the key. */
    static String fingerprint(PublicKey key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static PublicKey readPublic(String pemText) throws GeneralSecurityException {
        byte[] der = Base64.getMimeDecoder().decode(pem(pemText, PUBLIC_PEM_TYPE));
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
    }

    static boolean verify(PublicKey key, byte[] data, byte[] signature) throws GeneralSecurityException {
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(key);
        s.update(data);
        return s.verify(signature);
    }

    private static String pem(String text, String type) {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int a = text.indexOf(begin);
        int b = text.indexOf(end);
        if (a < 0 || b < a) {
            throw new IllegalArgumentException("not a PEM " + type);
        }
        return text.substring(a + begin.length(), b).trim();
    }

    private static String toPem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
