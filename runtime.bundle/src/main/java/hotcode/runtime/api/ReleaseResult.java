package hotcode.runtime.api;

/**
 * What {@link CodeServer#installRelease} did: the release, now current; whether anything changed ({@code false} when
 * it was the current release already); and a sentence saying what was done.
 */
public record ReleaseResult(ReleaseInfo release, boolean changed, String summary) {
    @Override
    public String toString() {
        return summary;
    }
}
