package hotcode.cluster.impl;

import hotcode.runtime.api.IncompatibleValueException;

import java.io.ByteArrayOutputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The wire format between two nodes: every frame starts with a 19-byte header (magic, version, type, the sender's
 * incarnation, the addressee's incarnation, 0 for a multicast) that {@link ClusterNode#receive} checks before it
 * hands the body to the class keeping that frame's protocol. Values inside frames are in the neutral form of
 * {@link Codec}. One place for the frame types, so that a new protocol takes a number nobody else uses.
 */
final class Frames {
    /**
     * Version 3: the global-name frames carry the registration's id (version 2 did not); version 2: a message frame
     * carries its sender's process number (version 1 did not).
     */
    static final byte MAGIC = 0x48, VERSION = 3;
    /** {@link Membership}. */
    static final byte HELLO = 1;
    /** {@link Sessions}: messages, their acknowledgements, several frames in one JGroups message. */
    static final byte MSG = 2, ACK = 3, BATCH = 15;
    /** {@link Links}. */
    static final byte EXIT = 4, LINK = 5, UNLINK = 6, MON = 7, DEMON = 8, DOWN = 9;
    /** {@link GlobalNames}. */
    static final byte GREG = 10, GREG_REPLY = 11, GADD = 12, GDEL = 13, GSYNC = 14;
    /** {@link CoordinatedLoad}: a release's load, the votes, the verdict, the outcomes. */
    static final byte CLOAD = 16, VOTE = 17, VERDICT = 18, DONE = 19;
    /** The console's requests to another node ({@link ConsoleCalls}) and their answers. */
    static final byte CALL = 20, REPLY = 21;
    /** A coordinated load of one module (CLOAD is a release's): the same votes, verdict and outcomes follow. */
    static final byte CLOAD_MODULE = 22;
    /** The header's length: magic, version, type, two incarnations. */
    static final int HEADER = 19;
    /** Where a message frame's value starts: after the header, epoch, number, receiver and sender. */
    static final int MSG_VALUE = HEADER + 32;

    private final long incarnation;
    final Codec codec;

    Frames(long incarnation, Codec codec) {
        this.incarnation = incarnation;
        this.codec = codec;
    }

    interface Body {
        void write(DataOutput out) throws IOException;
    }

    private void header(DataOutput out, byte type, long dstInc) throws IOException {
        out.writeByte(MAGIC);
        out.writeByte(VERSION);
        out.writeByte(type);
        out.writeLong(incarnation);
        out.writeLong(dstInc);
    }

    byte[] frame(byte type, Peer to, Body body) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            header(out, type, to == null ? 0 : to.incarnation);
            body.write(out);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a frame to memory", e);
        }
    }

    /** A message: the pair's session and number, the receiving process, the sending one (0: none), the value. */
    byte[] msgFrame(Peer to, long epoch, long seq, long target, long from, byte[] value) {
        return frame(MSG, to, out -> {
            writeMsgFields(out, epoch, seq, target, from);
            out.write(value);
        });
    }

    /** A message frame's header and fields, before its value ({@link #msgFrame}, {@link Sessions#sendMessage}). */
    void msgHeader(DataOutput out, Peer to, long epoch, long seq, long target, long from) throws IOException {
        header(out, MSG, to.incarnation);
        writeMsgFields(out, epoch, seq, target, from);
    }

    private static void writeMsgFields(DataOutput out, long epoch, long seq, long target, long from) throws IOException {
        out.writeLong(epoch);
        out.writeLong(seq);
        out.writeLong(target);
        out.writeLong(from);
    }

    /** An empty batch to {@code p}: its header and a count written when it is sent ({@link FrameBuffer#sealed}). */
    FrameBuffer newBatch(Peer p, int capacity) {
        FrameBuffer b = new FrameBuffer(capacity);
        try {
            header(b.out, BATCH, p.incarnation);
            b.out.writeInt(0);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a frame to memory", e);
        }
        return b;
    }

    byte[] encode(Object message) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            codec.write(new DataOutputStream(bytes), message);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a value to memory", e);
        }
    }

    /** An exit reason in the neutral form; one that has none (an exception) travels as its text. */
    void writeReason(DataOutput out, Object reason) throws IOException {
        byte[] b;
        try {
            b = encode(reason);
        } catch (IncompatibleValueException e) {
            b = encode(String.valueOf(reason));
        }
        out.write(b);
    }
}
