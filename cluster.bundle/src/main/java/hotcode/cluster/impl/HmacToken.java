package hotcode.cluster.impl;

import org.jgroups.Address;
import org.jgroups.Message;
import org.jgroups.auth.AuthToken;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

/**
 * JGroups AUTH token that proves knowledge of the cluster's shared secret without sending it: an HMAC-SHA256, keyed
 * with the secret, of the cluster name, the joining member's address and the time. The coordinator recomputes it for
 * the address the join request comes from, so a token copied from the network does not admit another member, and
 * refuses one older than {@link #MAX_AGE_MILLIS} (clocks of the nodes must agree within that).
 *
 * <p>JGroups makes the received token by its class name with the no-argument constructor (through this bundle's
 * class loader: the class is embedded next to JGroups).
 */
public final class HmacToken extends AuthToken {
    static final long MAX_AGE_MILLIS = 5 * 60_000;
    private byte[] secret;   // only in the local token; never written
    private String cluster;  // only in the local token
    private long time;
    private byte[] mac = new byte[0];

    public HmacToken() {
    }

    HmacToken(String cluster, String secret) {
        this.cluster = cluster;
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String getName() {
        return HmacToken.class.getName();
    }

    @Override
    public int size() {
        return 8 + 4 + (secret != null ? 32 : mac.length);
    }

    @Override
    public boolean authenticate(AuthToken token, Message msg) {
        if (token == this) {
            return true; // our own token on a message this member sent itself (the merge leader does): never written
        }
        if (!(token instanceof HmacToken t) || secret == null || msg.getSrc() == null) {
            return false;
        }
        if (Math.abs(System.currentTimeMillis() - t.time) > MAX_AGE_MILLIS) {
            return false;
        }
        return MessageDigest.isEqual(t.mac, mac(msg.getSrc(), t.time));
    }

    @Override
    public void writeTo(DataOutput out) throws IOException {
        long now = System.currentTimeMillis();
        byte[] m = secret == null || auth == null || auth.getAddress() == null ? new byte[0] : mac(auth.getAddress(), now);
        out.writeLong(now);
        out.writeInt(m.length);
        out.write(m);
    }

    @Override
    public void readFrom(DataInput in) throws IOException {
        time = in.readLong();
        int n = in.readInt();
        if (n < 0 || n > 64) {
            throw new IOException("malformed AUTH token: mac length " + n);
        }
        mac = new byte[n];
        in.readFully(mac);
    }

    private byte[] mac(Address member, long at) {
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(secret, "HmacSHA256"));
            hmac.update((cluster + "\n" + member + "\n" + at).getBytes(StandardCharsets.UTF_8));
            return hmac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
