package hotcode.itest.tools;

import hotcode.itest.vsn.BundleVersion;

/**
 * Loaded only when a fun of this version first runs: the fun keeps working on its own version's classes. Answers
 * {@code "part-v1"} in version 1.x: the version of the jar it was itself loaded from.
 */
final class FunPart {
    String v() {
        return "part-" + BundleVersion.tag(FunPart.class);
    }
}
