package hotcode.itest.mod;

/** Loaded only when an Echo process gets {helper, From}: tests that old code can still load its classes. */
final class Helper {
    String v() {
        return "helper-v3";
    }
}
