package dev.improv.server.take;

/**
 * One stored chunk of a performer's track, as its upload described it.
 *
 * @param index    0, 1, 2, … in recording order
 * @param segment  the page's capture run: a new one after a page reload (its sample clock starts anew)
 * @param sample   index of the chunk's first sample within its segment
 * @param samples  samples in the chunk (48 kHz mono, 16-bit)
 * @param clientUs the page's clock (µs since the epoch) when the first sample was captured
 * @param offsetUs the page's clock offset estimate (server minus page) when it made the chunk
 * @param rttUs    the round trip of that estimate
 * @param sha256   of the PCM bytes, lowercase hex
 * @param last     the page says no chunk follows in this take
 * @param capture  where the page took the samples and their stamps: {@code processor} (the capture path's own
 *                 timestamps) or {@code worklet} (the fallback, stamped by the render clock); null from older pages
 */
public record ChunkMeta(int index, int segment, long sample, int samples, long clientUs, long offsetUs, long rttUs,
                        String sha256, boolean last, String capture) {
    /** The values {@code capture} may take. */
    public static final java.util.Set<String> CAPTURES = java.util.Set.of("processor", "worklet");

    /** Server time of the first sample by the page's own estimate. */
    public long serverUs() {
        return clientUs + offsetUs;
    }
}
