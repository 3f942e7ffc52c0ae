package hotcode.cluster.impl;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;

/**
 * The frames queued for one member, laid out as the batch frame that will carry them: the batch's header and count,
 * then each frame as its length and bytes. A message is encoded straight into it ({@link Sessions#sendMessage}), so
 * its bytes are written once and handed to JGroups as they are: no value, frame and batch copies. A buffer handed to
 * JGroups is never written again (UNICAST3 keeps it until the member acknowledges it); the next frames go to a new one.
 */
final class FrameBuffer extends ByteArrayOutputStream {
    /** Where the frame count is: after the batch's header. */
    private static final int COUNT_AT = Frames.HEADER;
    final DataOutputStream out = new DataOutputStream(this);
    int frames;

    FrameBuffer(int capacity) {
        super(capacity);
    }

    byte[] array() {
        return buf;
    }

    /** Drops what was written after {@code mark} (a value that turned out to have no neutral form). */
    void truncate(int mark) {
        count = mark;
    }

    void putInt(int at, int v) {
        buf[at] = (byte) (v >>> 24);
        buf[at + 1] = (byte) (v >>> 16);
        buf[at + 2] = (byte) (v >>> 8);
        buf[at + 3] = (byte) v;
    }

    /** The batch, its count written: ready to hand to JGroups. */
    byte[] sealed() {
        putInt(COUNT_AT, frames);
        return buf;
    }

    /** Whether no frame is queued. */
    boolean empty() {
        return frames == 0;
    }
}
