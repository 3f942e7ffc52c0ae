package hotcode.runtime.impl.code;

import hotcode.runtime.api.HotcodeException;

/** A bundle that declares a module but cannot be loaded as one; the message names the bundle and the problem. */
public final class BadModuleException extends HotcodeException {
    private static final long serialVersionUID = 1L;

    public BadModuleException(String message) {
        super(message);
    }

    public BadModuleException(String message, Throwable cause) {
        super(message, cause);
    }
}
