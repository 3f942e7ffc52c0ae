package hotcode.runtime.impl.server;

import hotcode.runtime.api.Terms;

/** The messages of the server protocol, as they sit in a server's (or a caller's) mailbox. */
final class Messages {
    private Messages() {
    }

    /** A {@code GenServer.call}: the request and whom to answer. */
    record Call(Object request, CallFrom from) {
        @Override
        public String toString() {
            return "call(" + Terms.format(request) + ")";
        }
    }

    /** A {@code GenServer.cast}. */
    record Cast(Object message) {
        @Override
        public String toString() {
            return "cast(" + Terms.format(message) + ")";
        }
    }

    /** The answer to a call, in the caller's mailbox; matched by its {@link CallFrom} only. */
    record CallReply(CallFrom from, Object value, hotcode.runtime.api.HotcodeException error) {
        @Override
        public String toString() {
            return "reply(" + Terms.format(value) + ")";
        }
    }
}
