package dev.improv.server.dataset;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.improv.server.config.AtomicFiles;
import dev.improv.server.config.OwnerOnly;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The versioned consent texts, one immutable file per version: {@code <dataDir>/consent/texts/<version>.json}.
 * A version, once stored, never changes (a new wording is a new version), so an export can say exactly what a
 * performer agreed to. A pool's {@code consentVersion} names one of these. Blocking I/O; thread-safe.
 */
public final class ConsentTexts {
    /** Whole-interaction removal on withdrawal: the partners' tracks of that take go too. */
    public static final String ON_WITHDRAWAL_INTERACTION = "interaction";
    /** Only the withdrawing performer's own files go. */
    public static final String ON_WITHDRAWAL_TRACKS = "tracks";
    public static final int MAX_TEXT_CHARS = 20_000;

    /**
     * One consent text. {@code scopes}: what agreeing to it allows ({@link ConsentScope} names);
     * {@code onWithdrawal}: {@value #ON_WITHDRAWAL_TRACKS} or {@value #ON_WITHDRAWAL_INTERACTION};
     * {@code publishedAt}: epoch millis.
     */
    public record ConsentText(int version, String text, List<String> scopes, String onWithdrawal, long publishedAt) {
        public ConsentText {
            if (version < 1) {
                throw new IllegalArgumentException("version: must be at least 1");
            }
            if (text == null || text.isBlank() || text.length() > MAX_TEXT_CHARS) {
                throw new IllegalArgumentException("text: 1 to " + MAX_TEXT_CHARS + " characters");
            }
            scopes = List.copyOf(ConsentScope.parseAll(scopes == null ? List.of() : scopes).stream()
                    .map(ConsentScope::wireName).toList());
            if (onWithdrawal == null) {
                onWithdrawal = ON_WITHDRAWAL_TRACKS;
            }
            if (!onWithdrawal.equals(ON_WITHDRAWAL_TRACKS) && !onWithdrawal.equals(ON_WITHDRAWAL_INTERACTION)) {
                throw new IllegalArgumentException("onWithdrawal: '" + ON_WITHDRAWAL_TRACKS + "' or '"
                        + ON_WITHDRAWAL_INTERACTION + "'");
            }
        }

        public boolean allows(ConsentScope scope) {
            return scopes.contains(scope.wireName());
        }
    }

    private static final ObjectMapper JSON = ProtocolCodec.mapper();
    private final Path dir;

    public ConsentTexts(Path dataDir) {
        this.dir = dataDir.resolve("consent").resolve("texts");
    }

    /**
     * Stores a new version. The same text again is a no-op (returns false); another text under a stored version is
     * refused: versions are immutable.
     */
    public synchronized boolean put(ConsentText text) throws IOException {
        Optional<ConsentText> old = get(text.version());
        if (old.isPresent()) {
            ConsentText o = old.get();
            if (o.text().equals(text.text()) && o.scopes().equals(text.scopes())
                    && o.onWithdrawal().equals(text.onWithdrawal())) {
                return false;
            }
            throw new IllegalStateException("consent version " + text.version()
                    + " exists with another text or scopes; a new wording needs a new version");
        }
        OwnerOnly.createDirectories(dir);
        AtomicFiles.write(dir.resolve(text.version() + ".json"), JSON.writerWithDefaultPrettyPrinter()
                .writeValueAsBytes(text));
        return true;
    }

    public Optional<ConsentText> get(int version) throws IOException {
        try {
            return Optional.of(JSON.readValue(Files.readAllBytes(dir.resolve(version + ".json")), ConsentText.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    public List<ConsentText> list() throws IOException {
        List<ConsentText> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                out.add(JSON.readValue(Files.readAllBytes(f), ConsentText.class));
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        out.sort(Comparator.comparingInt(ConsentText::version));
        return out;
    }
}
