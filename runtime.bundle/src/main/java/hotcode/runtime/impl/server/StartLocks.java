package hotcode.runtime.impl.server;

import hotcode.runtime.api.HotcodeException;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.StampedLock;

/**
 * Per module: a server start holds the read lock, an upgrade of the module's servers the write lock, so no server
 * starts on a version that an upgrade is leaving. A {@link StampedLock} because the write lock is given back by
 * whoever ends the upgrade, which may be the watchdog thread aborting a prepared upgrade, not the thread that
 * prepared it.
 */
final class StartLocks {
    private final ConcurrentHashMap<String, StampedLock> locks = new ConcurrentHashMap<>();
    private volatile long boundMillis; // the migration bound: a new configuration may change it

    StartLocks(long boundMillis) {
        this.boundMillis = boundMillis;
    }

    void boundMillis(long millis) {
        boundMillis = millis;
    }

    /** The read lock for a start, or an error naming {@code what} when an upgrade holds the module that long. */
    long readOrFail(String module, String what) {
        try {
            long bound = boundMillis;
            long stamp = lock(module).tryReadLock(bound, TimeUnit.MILLISECONDS);
            if (stamp == 0) {
                throw new HotcodeException(what + ": an upgrade of the module has been in progress for "
                        + bound + " ms (is a codeChange starting a server of its own module?)");
            }
            return stamp;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HotcodeException(what + ": interrupted");
        }
    }

    void unlockRead(String module, long stamp) {
        lock(module).unlockRead(stamp);
    }

    long write(String module) {
        return lock(module).writeLock();
    }

    void unlockWrite(String module, long stamp) {
        lock(module).unlockWrite(stamp);
    }

    private StampedLock lock(String module) {
        return locks.computeIfAbsent(module, m -> new StampedLock());
    }
}
