package hotcode.itest.tools;

import hotcode.itest.vsn.CodeVersion;

/**
 * Loaded only when a fun of this version first runs: the fun keeps working on its own version's classes. Answers
 * {@code "part-v1"} in version 1: the version of the revision it was itself loaded from.
 */
final class FunPart {
    String v() {
        return "part-" + CodeVersion.tag(FunPart.class);
    }
}
