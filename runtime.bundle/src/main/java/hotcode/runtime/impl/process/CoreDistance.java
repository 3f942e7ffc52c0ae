package hotcode.runtime.impl.process;

/**
 * One spinner's view of how far apart the cores are, from the requests to step aside it times
 * ({@link IdleCarriers}, "cores far apart"): a request's hand-off over {@code farNanos} is slow; when more than half of
 * a batch of {@link #BATCH} timed requests were slow, the cores count as far apart until a batch with a fast majority.
 * Until the first batch is complete they count as near.
 *
 * <p>A majority, not the shortest or the mean: on this kind of host about one hand-off in ten is short even in the
 * slow minutes (the shortest of 8 said "near" in about half the batches there, and the pair went on splitting), and a
 * request made while the spinner was in its yield, or a spinner held up anywhere, makes a long time that says nothing
 * about the cores. Owner only: each spinner has its own, in a local variable.
 */
final class CoreDistance {
    /** How many timed requests make a batch, after which the view is decided again. */
    static final int BATCH = 16;

    private final long farNanos;
    private int timed; // in this batch
    private int slow; // of them, over farNanos
    private boolean far;

    CoreDistance(long farNanos) {
        this.farNanos = farNanos;
    }

    /** A request was timed at {@code handOffNanos}; returns whether the cores count as far apart now. */
    boolean timed(long handOffNanos) {
        slow += handOffNanos > farNanos ? 1 : 0;
        if (++timed == BATCH) {
            far = 2 * slow > BATCH;
            timed = 0;
            slow = 0;
        }
        return far;
    }
}
