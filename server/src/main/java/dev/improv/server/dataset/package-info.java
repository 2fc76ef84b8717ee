/**
 * The dataset a lab accepts: {@link dev.improv.server.dataset.SeamlessExport} writes sessions in the Seamless
 * Interaction layout as WebDataset tar shards, Parquet tables, a dataset card and a Croissant file, with a signed
 * provenance manifest ({@link dev.improv.server.dataset.ManifestVerifier} checks one offline); consent texts with
 * scopes ({@link dev.improv.server.dataset.ConsentTexts}) and withdrawals ({@link dev.improv.server.dataset.Withdrawals})
 * decide what goes in; a performer's local take ({@code LocalTake}) is a sample's primary
 * audio, the media recorder's track ({@code MediaTrack}) its backup, and {@link
 * dev.improv.server.dataset.BackupAlignment} measures (at a take's assembly, on the takes thread) where the backup
 * has the take's sound. See docs/dataset.md and docs/recording.md.
 *
 * <p>Threads: everything here is blocking file I/O and CPU (hashing, signing): callers run it on a thread of its
 * own (the export executor, a CLI process), never on a Netty I/O thread or a room's owner thread. No Netty imports.
 */
package dev.improv.server.dataset;
