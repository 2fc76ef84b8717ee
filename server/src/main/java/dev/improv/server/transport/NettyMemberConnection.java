package dev.improv.server.transport;

import dev.improv.server.http.LingeringClose;
import dev.improv.server.metrics.ServerMetrics;
import dev.improv.server.protocol.ErrorCode;
import dev.improv.server.protocol.ServerMessage;
import dev.improv.server.room.MemberConnection;
import dev.improv.server.room.SharedFrame;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.TimeUnit;

/**
 * A participant's WebSocket as the room sees it. Called from the room's owner thread; Netty queues writes
 * from other threads onto the channel's event loop. A connection whose outbound buffer passed the high-water
 * mark is cut off instead of buffering without bound.
 *
 * <p>Replayed events (catching up) are flow-controlled instead: at most half the high-water mark of them is queued
 * and not yet written to the socket (the replay window); more is asked for once half of that has gone out. So a
 * reader that keeps reading catches up at full speed, and live and direct messages still find half the buffer
 * free before the slow-consumer rule applies to them.
 */
final class NettyMemberConnection implements MemberConnection {
    /** Close code used when a refusal keeps connections open elsewhere but must end this one. */
    static final int BAD_REQUEST_CLOSE = 4400;
    private static final long FORCE_CLOSE_AFTER_MS = 2_000;
    private static final int MAX_CLOSE_REASON_BYTES = 123;

    private final Channel channel;
    private final ServerMetrics metrics;
    /** Set once by any thread that starts closing; read by senders. */
    private volatile boolean closing;
    /** Replay bytes queued and not yet written to the socket; added by the room's thread, taken off by the loop. */
    private final AtomicLong replayQueued = new AtomicLong();
    /** Who waits for replay credit; set by the room's thread, run by whichever thread sees credit first. */
    private final AtomicReference<Runnable> creditWaiter = new AtomicReference<>();
    private final long replayWindow;
    /** The server-wide bound on queued bytes this connection is watched by, or null; set once at the handshake. */
    private volatile WebSocketOutputBudget outputBudget;

    NettyMemberConnection(Channel channel, ServerMetrics metrics) {
        this.channel = channel;
        this.metrics = metrics;
        this.replayWindow = Math.max(1, channel.config().getWriteBufferHighWaterMark() / 2);
    }

    @Override
    public long replayCredit() {
        if (closing || !channel.isActive()) {
            return 0;
        }
        return replayWindow - replayQueued.get();
    }

    @Override
    public void sendReplay(List<SharedFrame> frames) {
        if (frames.isEmpty() || closing || !channel.isActive()) {
            return;
        }
        List<TextWebSocketFrame> out = new ArrayList<>(frames.size());
        long bytes = 0;
        for (SharedFrame f : frames) {
            TextWebSocketFrame ws = ((ByteBufFrames.Frame) f).newWebSocketFrame();
            bytes += ws.content().readableBytes();
            out.add(ws);
        }
        long batchBytes = bytes;
        replayQueued.addAndGet(batchBytes);
        Runnable write = () -> {
            int last = out.size() - 1;
            for (int i = 0; i < last; i++) {
                channel.write(out.get(i), channel.voidPromise());
            }
            // Written in order: when the last frame is on the socket, so is the whole batch (or the channel died).
            channel.writeAndFlush(out.get(last)).addListener(done -> {
                replayQueued.addAndGet(-batchBytes);
                offerCredit();
            });
        };
        if (channel.eventLoop().inEventLoop()) {
            // On the channel's own loop a live send() writes at once: a queued replay would go out after the live
            // events published behind it (seen on a resume: the member's own presence before its replay).
            write.run();
            return;
        }
        try {
            channel.eventLoop().execute(write);
        } catch (RejectedExecutionException e) { // the loop is shutting down: nothing will be written
            out.forEach(TextWebSocketFrame::release);
            replayQueued.addAndGet(-batchBytes);
        }
    }

    @Override
    public void onReplayCredit(Runnable task) {
        creditWaiter.set(task);
        offerCredit();
    }

    /**
     * Runs the credit waiter once half the replay window or less is queued. Any thread. Never on a closing
     * connection: its catch-up ends there (the room learns it from the lost connection or the stall timeout).
     */
    private void offerCredit() {
        if (!closing && channel.isActive() && replayQueued.get() <= replayWindow / 2) {
            Runnable waiter = creditWaiter.getAndSet(null);
            if (waiter != null) {
                waiter.run();
            }
        }
    }

    @Override
    public void send(SharedFrame frame) {
        if (writableOrCutOff()) {
            channel.writeAndFlush(((ByteBufFrames.Frame) frame).newWebSocketFrame(), channel.voidPromise());
        }
    }

    @Override
    public void send(ServerMessage message) {
        if (writableOrCutOff()) {
            channel.writeAndFlush(message, channel.voidPromise());
            metrics.messagesOut(message.typeName(), 1);
        }
    }

    Channel channel() {
        return channel;
    }

    /** True when a write may go out now; cuts off a connection whose outbound buffer passed the high-water mark. */
    boolean writableOrCutOff() {
        if (closing || !channel.isActive()) {
            return false;
        }
        if (!channel.isWritable()) {
            metrics.error(ErrorCode.SLOW_CONSUMER);
            close(ErrorCode.SLOW_CONSUMER, "too slow to receive the room's events; reconnect to resume");
            WebSocketOutputBudget budget = outputBudget;
            if (budget != null) {
                budget.sweep(); // its queue stays until the close is done: see whether all of them together fit
            }
            return false;
        }
        return true;
    }

    @Override
    public void close(ErrorCode code, String reason) {
        if (closing) {
            return;
        }
        closing = true;
        int status = code.closesConnection() ? code.closeCode() : BAD_REQUEST_CLOSE;
        // Closing at once would reset a connection whose member is still sending, and the reset throws away the
        // close frame it already received (the member sees an error, not the code that says what to do): shut the
        // output after the frame and drain until the member closes, as the closing handshake wants.
        // The frame and the drain start in one task on the channel's loop: with the drain added in a later task,
        // the member's answering close frame could be read in between, and Netty's protocol handler would echo
        // it: a second close frame, which a browser fails as "Close received after close" (a 1006 instead of the
        // code: a performer pressing Leave on a loaded box got "Reconnecting…").
        String text = clip(reason);
        if (channel.eventLoop().inEventLoop()) {
            closeOnLoop(status, text);
        } else {
            channel.eventLoop().execute(() -> closeOnLoop(status, text));
        }
    }

    private void closeOnLoop(int status, String reason) {
        LingeringClose.after(channel.writeAndFlush(new CloseWebSocketFrame(status, reason)), channel);
        // A slow consumer may never take the close frame off the socket: do not wait for it forever.
        channel.eventLoop().schedule(() -> {
            channel.close();
        }, FORCE_CLOSE_AFTER_MS, TimeUnit.MILLISECONDS);
    }

    void watchedBy(WebSocketOutputBudget budget) {
        this.outputBudget = budget;
    }

    /**
     * Cut at once, without a close frame, for the server-wide output budget: what is queued for it is dropped now
     * (a member that does not read would not see the frame anyway; its page reconnects and resumes). Any thread.
     */
    void cutForMemory() {
        closing = true;
        channel.close();
    }

    boolean closing() {
        return closing;
    }

    @Override
    public String remoteAddress() {
        return String.valueOf(channel.remoteAddress());
    }

    /** Close reasons are limited to 123 bytes of UTF-8 by RFC 6455. */
    static String clip(String reason) {
        if (reason == null) {
            return "";
        }
        byte[] b = reason.getBytes(StandardCharsets.UTF_8);
        if (b.length <= MAX_CLOSE_REASON_BYTES) {
            return reason;
        }
        String s = reason;
        while (s.getBytes(StandardCharsets.UTF_8).length > MAX_CLOSE_REASON_BYTES) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }
}
