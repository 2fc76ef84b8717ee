package dev.improv.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.improv.server.protocol.ProtocolCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code keys list|rotate|retire}: the join token keys. Rotation edits the key file the server names in
 * {@code GET /api/keys} (so the CLI runs on the server's machine), then asks the server to reload it; when the
 * server refuses the new file, the old one is put back. Secrets are written to the file only, never printed.
 */
@Command(name = "keys", description = "Join token keys: list, rotate, retire (docs/integration.md).",
        mixinStandardHelpOptions = true, subcommands = {KeysCommand.ListKeys.class, KeysCommand.Rotate.class,
                KeysCommand.Retire.class})
final class KeysCommand {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Command(name = "list", description = "The key ids in force.", mixinStandardHelpOptions = true)
    static final class ListKeys extends AdminCommand {

        @Override
        public Integer call() {
            print(printer(), client()
                    .get("/api/keys"));
            return 0;
        }
    }

    @Command(name = "rotate", description = "Add a new key, make it the signing key, reload. The previous key "
            + "keeps verifying unless --retire-previous.", mixinStandardHelpOptions = true)
    static final class Rotate extends AdminCommand {
        @Option(names = "--kid", description = "Id of the new key (default key-<UTC time>).")
        String kid;
        @Option(names = "--retire-previous", description = "Refuse tokens of the previous signing key from now on.")
        boolean retirePrevious;

        @Override
        public Integer call() {
            AdminClient client = client();
            String newKid = kid != null ? kid
                    : "key-" + ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss"));
            String[] previous = new String[1];
            JsonNode keys = edit(client, file -> {
                ObjectNode secrets = file.with("keys");
                if (secrets.has(newKid) || contains(file.path("retired"), newKid) || newKid.equals("default")) {
                    throw new CliFailure(CliFailure.USAGE, "the key id '" + newKid + "' is taken: choose another "
                            + "with --kid");
                }
                byte[] secret = new byte[32];
                RANDOM.nextBytes(secret);
                secrets.put(newKid, Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
                previous[0] = file.path("signing").asText("default");
                file.put("signing", newKid);
                if (retirePrevious) {
                    retire(file, previous[0]);
                }
            });
            Printer p = printer();
            if (!p.json()) {
                p.line("signing key is now " + newKid + " (its secret is in " + keys.path("file").asText()
                        + "); the previous key " + previous[0] + (retirePrevious ? " is retired"
                        : " still verifies: retire it with `keys retire " + previous[0] + "` once its links expired"));
            }
            print(p, keys);
            return 0;
        }
    }

    @Command(name = "retire", description = "Refuse tokens of a key from now on (reason retired_key).",
            mixinStandardHelpOptions = true)
    static final class Retire extends AdminCommand {
        @Parameters(paramLabel = "KID", description = "The key id.")
        String kid;

        @Override
        public Integer call() {
            JsonNode keys = edit(client(), file -> {
                if (kid.equals(file.path("signing").asText("default"))) {
                    throw new CliFailure(CliFailure.USAGE, "'" + kid + "' is the signing key: rotate first "
                            + "(`keys rotate`), then retire it");
                }
                if (!file.path("keys").has(kid) && !kid.equals("default")) {
                    throw new CliFailure(CliFailure.NOT_FOUND, "no key '" + kid + "' in the key file");
                }
                retire(file, kid);
            });
            print(printer(), keys);
            return 0;
        }
    }

    @FunctionalInterface
    private interface FileEdit {
        void apply(ObjectNode file);
    }

    /** Edits the server's key file and reloads; puts the old file back when the server refuses the new one. */
    private static JsonNode edit(AdminClient client, FileEdit change) {
        JsonNode inForce = client.get("/api/keys");
        if (inForce.path("file").isNull() || inForce.path("file").isMissingNode()) {
            throw new CliFailure(CliFailure.REFUSED, "the server has no token key file: create "
                    + "<data-dir>/token-keys.json (chmod 600) holding {\"signing\":\"default\",\"keys\":{}} and "
                    + "restart the server, or start it with --token-keys FILE; then rotate");
        }
        Path file = Path.of(inForce.path("file").asText());
        byte[] before;
        ObjectNode content;
        try {
            before = Files.readAllBytes(file);
            content = (ObjectNode) ProtocolCodec.mapper().readTree(before);
        } catch (IOException | ClassCastException e) {
            throw new CliFailure(CliFailure.REFUSED, "cannot read the server's key file " + file + " ("
                    + e.getMessage() + "): run this on the server's machine, as the user the server runs as");
        }
        change.apply(content);
        try {
            write(file, ProtocolCodec.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(content));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        try {
            return client.post("/api/keys/reload", null);
        } catch (CliFailure refused) {
            write(file, before);
            throw new CliFailure(refused.exitCode(), refused.getMessage() + "; the key file was put back as it was");
        }
    }

    private static void retire(ObjectNode file, String kid) {
        if (!kid.equals("default")) {
            file.with("keys").remove(kid);
        }
        ArrayNode retired = file.withArray("retired");
        if (!contains(retired, kid)) {
            retired.add(kid);
        }
    }

    private static boolean contains(JsonNode array, String value) {
        for (JsonNode n : array) {
            if (n.asText().equals(value)) {
                return true;
            }
        }
        return false;
    }

    /** Replaces the file atomically with an owner-only one (the server refuses a key file others can read). */
    private static void write(Path file, byte[] bytes) {
        Path tmp = file.resolveSibling(file.getFileName() + ".cli-tmp");
        try {
            Files.deleteIfExists(tmp);
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(tmp);
            }
            Files.write(tmp, bytes);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new CliFailure(CliFailure.REFUSED, "cannot write the key file " + file + ": " + e.getMessage());
        }
    }

    private static void print(Printer p, JsonNode keys) {
        if (p.jsonIfAsked(keys)) {
            return;
        }
        List<String> active = new ArrayList<>();
        keys.path("active").forEach(k -> active.add(k.asText()));
        List<String> retired = new ArrayList<>();
        keys.path("retired").forEach(k -> retired.add(k.asText()));
        p.line("signing: " + keys.path("signing").asText());
        p.line("active:  " + String.join(", ", active));
        p.line("retired: " + (retired.isEmpty() ? "-" : String.join(", ", retired)));
        p.line("file:    " + keys.path("file").asText("(none)"));
    }
}
