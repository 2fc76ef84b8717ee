package dev.improv.server.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Checks an export, or one shard of it, offline: the manifest's Ed25519 signature (against a pinned public key,
 * or the one the export carries — then the report says that only its fingerprint proves whose it is), then the
 * sha256 of every listed file, and for a shard every member in order, naming the first one that differs.
 * Streams every file; holds the manifest. Blocking.
 */
public final class ManifestVerifier {
    /** The outcome: {@code problems} in the order found; {@code firstChanged} names the first changed file. */
    public record Report(boolean ok, String keyFingerprint, boolean keyPinned, int filesChecked, int membersChecked,
                         String firstChanged, List<String> problems) {
    }

    private ManifestVerifier() {
    }

    /**
     * @param target    the export's folder, or one shard file inside its {@code shards/} folder
     * @param pinnedKey a PEM public key file the buyer trusts, or null to use the export's own
     */
    public static Report verify(Path target, Path pinnedKey) throws IOException {
        boolean oneShard = Files.isRegularFile(target);
        Path dir = oneShard ? target.toAbsolutePath().getParent().getParent() : target;
        List<String> problems = new ArrayList<>();
        byte[] manifestBytes;
        try {
            manifestBytes = Files.readAllBytes(dir.resolve(SeamlessExport.MANIFEST));
        } catch (NoSuchFileException e) {
            throw new IOException("no " + SeamlessExport.MANIFEST + " in " + dir + " (not an export, or an incomplete one)");
        }
        String fingerprint;
        try {
            Path keyFile = pinnedKey != null ? pinnedKey : dir.resolve(SeamlessExport.PUBLIC_KEY);
            PublicKey key = SigningKey.readPublic(Files.readString(keyFile));
            fingerprint = SigningKey.fingerprint(key);
            byte[] sig = Base64.getMimeDecoder().decode(Files.readString(dir.resolve(SeamlessExport.SIGNATURE)).trim());
            if (!SigningKey.verify(key, manifestBytes, sig)) {
                problems.add(SeamlessExport.MANIFEST + ": the signature does not match (the manifest was changed, or "
                        + "signed with another key)");
            }
        } catch (GeneralSecurityException | IllegalArgumentException | NoSuchFileException e) {
            throw new IOException("cannot check the signature: " + e.getMessage(), e);
        }
        JsonNode manifest = ProtocolCodec.mapper().readTree(manifestBytes);
        Map<String, List<JsonNode>> membersByShard = new LinkedHashMap<>();
        for (JsonNode m : manifest.path("members")) {
            membersByShard.computeIfAbsent(m.path("shard").asText(), k -> new ArrayList<>()).add(m);
        }
        String first = problems.isEmpty() ? null : SeamlessExport.MANIFEST;
        int files = 0;
        int members = 0;
        String only = oneShard ? "shards/" + target.getFileName() : null;
        List<String> listed = new ArrayList<>();
        for (JsonNode f : manifest.path("files")) {
            String path = f.path("path").asText();
            listed.add(path);
            if (only != null && !only.equals(path)) {
                continue;
            }
            Path file = dir.resolve(path).normalize();
            if (!file.startsWith(dir.toAbsolutePath().normalize()) && !file.startsWith(dir.normalize())) {
                problems.add(path + ": leaves the export folder");
                continue;
            }
            files++;
            if (!Files.isRegularFile(file)) {
                problems.add(path + ": missing");
                first = first == null ? path : first;
                continue;
            }
            if (sha256(file).equals(f.path("sha256").asText())) {
                members += membersByShard.getOrDefault(path, List.of()).size();
                continue;
            }
            List<JsonNode> expected = membersByShard.get(path);
            if (expected == null) {
                problems.add(path + ": changed (sha256 differs)");
                first = first == null ? path : first;
                continue;
            }
            String changed = changedMember(file, expected, problems, path);
            members += expected.size();
            first = first == null ? changed : first;
        }
        if (only != null && !listed.contains(only)) {
            problems.add(only + ": not listed in the manifest");
            first = first == null ? only : first;
        }
        if (only == null) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.filter(Files::isRegularFile).toList()) {
                    String rel = dir.relativize(p).toString().replace('\\', '/');
                    if (!rel.equals(SeamlessExport.MANIFEST) && !rel.equals(SeamlessExport.SIGNATURE)
                            && !listed.contains(rel)) {
                        problems.add(rel + ": not listed in the manifest (added after signing)");
                        first = first == null ? rel : first;
                    }
                }
            }
        }
        return new Report(problems.isEmpty(), fingerprint, pinnedKey != null, files, members, first,
                List.copyOf(problems));
    }

    /** Reads the shard's members in order against the manifest; returns "shard/member" of the first difference. */
    private static String changedMember(Path shard, List<JsonNode> expected, List<String> problems, String path)
            throws IOException {
        String first = null;
        int i = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(shard), 256 * 1024);
             TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry(), i++) {
                JsonNode want = i < expected.size() ? expected.get(i) : null;
                MessageDigest md = SeamlessExport.digest();
                CountingInput member = new CountingInput(new DigestInputStream(tar, md));
                // a frames tar is read image by image on the way through (one pass), to name a changed image
                String changedFrame = want != null && want.path("frames").size() > 0
                        && want.path("name").asText().equals(e.getName()) ? changedFrame(member, want.path("frames")) : null;
                member.transferTo(OutputStream.nullOutputStream());
                long size = member.count;
                String sha = HexFormat.of().formatHex(md.digest());
                String problem = null;
                if (want == null) {
                    problem = "not in the manifest";
                } else if (!want.path("name").asText().equals(e.getName())) {
                    problem = "in place of " + want.path("name").asText();
                } else if (want.path("bytes").asLong() != size || !want.path("sha256").asText().equals(sha)) {
                    problem = "changed (sha256 differs)";
                }
                if (problem != null) {
                    String name = changedFrame == null ? e.getName() : e.getName() + "/" + changedFrame;
                    problems.add(path + ": member " + name + " " + problem);
                    first = first == null ? path + "/" + name : first;
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            String after = i == 0 ? "at its first member" : "after member " + expected.get(Math.min(i, expected.size()) - 1)
                    .path("name").asText();
            problems.add(path + ": unreadable " + after + " (" + e.getMessage() + ")");
            first = first == null ? path + "/" + (i < expected.size() ? expected.get(i).path("name").asText() : "?") : first;
        }
        if (i < expected.size()) {
            problems.add(path + ": " + (expected.size() - i) + " members missing from " + expected.get(i).path("name").asText());
            first = first == null ? path + "/" + expected.get(i).path("name").asText() : first;
        }
        if (first == null) {
            problems.add(path + ": changed outside its members (tar headers or padding)");
            first = path;
        }
        return first;
    }

    /**
     * Reads a frames tar from {@code in} (not past its end blocks) against the manifest's list of its images;
     * returns the name of the first image that differs (or the first one missing or unreadable), or null.
     */
    private static String changedFrame(InputStream in, JsonNode frames) {
        int i = 0;
        try {
            TarArchiveInputStream inner = new TarArchiveInputStream(new java.io.FilterInputStream(in) {
                @Override
                public void close() {
                    // the shard's member stream stays open
                }
            });
            for (TarArchiveEntry e = inner.getNextEntry(); e != null; e = inner.getNextEntry(), i++) {
                MessageDigest md = SeamlessExport.digest();
                long size = new DigestInputStream(inner, md).transferTo(OutputStream.nullOutputStream());
                JsonNode want = frames.get(i);
                if (want == null) {
                    return e.getName();
                }
                if (!want.path("name").asText().equals(e.getName()) || want.path("bytes").asLong() != size
                        || !want.path("sha256").asText().equals(HexFormat.of().formatHex(md.digest()))) {
                    return want.path("name").asText();
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            return frames.has(i) ? frames.get(i).path("name").asText() : null;
        }
        return i < frames.size() ? frames.get(i).path("name").asText() : null;
    }

    private static final class CountingInput extends java.io.FilterInputStream {
        long count;

        CountingInput(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            count += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            count += Math.max(0, n);
            return n;
        }

        /** Skipped bytes are read, so that they are digested and counted too. */
        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[(int) Math.min(8192, Math.max(1, n))];
            long done = 0;
            while (done < n) {
                int r = read(buf, 0, (int) Math.min(buf.length, n - done));
                if (r < 0) {
                    break;
                }
                done += r;
            }
            return done;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public void close() {
            // the tar's member stream stays open
        }
    }

    static String sha256(Path file) throws IOException {
        return SeamlessExport.sha256(file);
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
