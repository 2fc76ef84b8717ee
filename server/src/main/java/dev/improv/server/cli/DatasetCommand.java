package dev.improv.server.cli;

import dev.improv.server.dataset.ManifestVerifier;
import dev.improv.server.dataset.SigningKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code dataset}: offline commands on exports — no server, no admin key. {@code verify} checks an export or one of
 * its shards against its signed manifest and names the first changed file; {@code key} prints the data
 * directory's signing public key (generated on first use) and its fingerprint, for buyers to pin.
 */
@Command(name = "dataset", description = "Offline: verify an export or a shard; print the signing key.",
        mixinStandardHelpOptions = true, subcommands = {DatasetCommand.Verify.class, DatasetCommand.Key.class})
final class DatasetCommand {
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check the manifest's Ed25519 signature and the sha256 of every file (of one shard: every "
                    + "member). Exit 0: intact; 1: changed (the first changed file is named); 2: not an export.")
    static final class Verify implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(paramLabel = "PATH", description = "The export's folder, or a shard in its shards/ folder.")
        Path target;
        @Option(names = "--public-key", description = "The studio's public key (PEM) to trust; default: the one in "
                + "the export (then only its fingerprint, printed, proves whose it is).")
        Path publicKey;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            ManifestVerifier.Report r;
            try {
                r = ManifestVerifier.verify(target, publicKey);
            } catch (IOException e) {
                err.println("dataset verify: " + e.getMessage());
                return 2;
            }
            out.println("signing key sha256 " + r.keyFingerprint() + (r.keyPinned() ? " (pinned)"
                    : " (the export's own: compare it with the studio's)"));
            if (r.ok()) {
                out.println("intact: " + r.filesChecked() + " files, " + r.membersChecked() + " shard members");
                return 0;
            }
            out.println("CHANGED: " + r.firstChanged());
            r.problems().forEach(p -> out.println("  " + p));
            return 1;
        }
    }

    @Command(name = "key", mixinStandardHelpOptions = true,
            description = "Print the data directory's dataset signing public key (PEM) and its sha256 fingerprint.")
    static final class Key implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;
        @Option(names = "--data-dir", defaultValue = "${env:IMPROV_DATA_DIR:-./data}",
                description = "The server's data directory (env IMPROV_DATA_DIR).")
        Path dataDir;

        @Override
        public Integer call() throws IOException {
            SigningKey key = SigningKey.inDataDir(dataDir);
            PrintWriter out = spec.commandLine().getOut();
            out.print(key.publicPem());
            out.println("sha256 " + key.fingerprint());
            return 0;
        }
    }
}
