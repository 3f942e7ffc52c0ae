package hotcode.runtime.impl.process;

import org.junit.Test;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/** A spinner's view of how far apart the cores are: decided by the majority of each batch of timed requests. */
public class CoreDistanceTest {
    private static final long LIMIT = 200;
    private static final long SLOW = 300;
    private static final long FAST = 50;

    @Test
    public void theCoresCountAsNearUntilAFirstBatchSaysOtherwise() {
        CoreDistance d = new CoreDistance(LIMIT);
        for (int i = 1; i < CoreDistance.BATCH; i++) {
            assertFalse("near before the first batch is complete (request " + i + ")", d.timed(SLOW));
        }
        assertTrue("a batch of slow requests: far apart", d.timed(SLOW));
    }

    @Test
    public void aMajorityDecidesNotTheShortestNorTheMean() {
        CoreDistance d = new CoreDistance(LIMIT);
        feed(d, new long[] {SLOW});
        // One fast in three, the fast ones very fast: the shortest and the mean say near, the majority far.
        for (int batch = 0; batch < 3; batch++) {
            assertTrue("still far apart after batch " + batch, feed(d, new long[] {SLOW, SLOW, -1_000_000}));
        }
        // Two fast in three: near again.
        assertFalse(feed(d, new long[] {FAST, FAST, SLOW}));
    }

    @Test
    public void halfSlowIsNoMajorityAndTheLimitItselfIsNotSlow() {
        CoreDistance d = new CoreDistance(LIMIT);
        feed(d, new long[] {SLOW});
        assertFalse("8 of 16 slow: near", feed(d, new long[] {SLOW, FAST}));
        assertFalse("at the limit is not over it", feed(d, new long[] {LIMIT}));
        assertTrue(feed(d, new long[] {LIMIT + 1}));
    }

    /** One batch of requests timed by the pattern, repeated; returns the view after the batch. */
    private static boolean feed(CoreDistance d, long[] pattern) {
        boolean far = false;
        for (int i = 0; i < CoreDistance.BATCH; i++) {
            far = d.timed(pattern[i % pattern.length]);
        }
        return far;
    }
}
