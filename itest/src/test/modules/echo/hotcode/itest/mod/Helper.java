package hotcode.itest.mod;

import hotcode.itest.vsn.CodeVersion;

/**
 * Loaded only when an Echo process gets {helper, From}: tests that old code can still load its classes. Answers
 * {@code "helper-v1"} in version 1: the version of the revision it was itself loaded from.
 */
final class Helper {
    String v() {
        return "helper-" + CodeVersion.tag(Helper.class);
    }
}
