package hotcode.itest.tools;

/** Loaded only when a fun of this version first runs: the fun keeps working on its own version's classes. */
final class FunPart {
    String v() {
        return "part-v1";
    }
}
