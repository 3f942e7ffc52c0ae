package hotcode.itest.mod;

import hotcode.itest.vsn.BundleVersion;

/**
 * Loaded only when an Echo process gets {helper, From}: tests that old code can still load its classes. Answers
 * {@code "helper-v1"} in version 1.x: the version of the jar it was itself loaded from.
 */
final class Helper {
    String v() {
        return "helper-" + BundleVersion.tag(Helper.class);
    }
}
