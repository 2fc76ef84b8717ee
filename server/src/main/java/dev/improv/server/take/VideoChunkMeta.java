package dev.improv.server.take;

/**
 * One stored chunk of a performer's camera recording: a run of bytes of the WebM stream that one MediaRecorder
 * made (a segment; a new one after a page reload). The bytes of a segment's chunks, in index order, are that
 * stream; each chunk carries the stamp of its segment's start so any one of them places the whole segment.
 *
 * @param index    0, 1, 2, … in recording order, over every segment of the take (as the audio chunks count)
 * @param segment  the MediaRecorder run: a new one after a page reload
 * @param offset   the chunk's first byte within its segment's stream
 * @param bytes    bytes in the chunk
 * @param startUs  the page's clock (µs since the epoch) when the segment's recording started: its first frame
 * @param untilMs  how much of the segment (ms from its start) the page had recorded when it cut this chunk
 * @param offsetUs the page's clock offset estimate (server minus page) when it made the chunk
 * @param rttUs    the round trip of that estimate
 * @param sha256   of the bytes, lowercase hex
 * @param last     the page says no chunk follows in this take
 * @param mimeType what the page's MediaRecorder made, e.g. {@code video/webm;codecs=vp8}
 */
public record VideoChunkMeta(int index, int segment, long offset, int bytes, long startUs, long untilMs,
                             long offsetUs, long rttUs, String sha256, boolean last, String mimeType) {
    /** Server time of the segment's start by the page's own estimate. */
    public long serverUs() {
        return startUs + offsetUs;
    }
}
