package hotcode.runtime.api;

/**
 * A value made by one version of a module was handed to another version of the same module, which cannot read it
 * (its class belongs to the other version's class loader). See the package documentation for the rule.
 */
public final class IncompatibleValueException extends HotcodeException {
    private static final long serialVersionUID = 1L;

    public IncompatibleValueException(String what, String valueClass, String valueVersion, String targetVersion) {
        super(what + " of class " + valueClass + " was made by " + valueVersion + " and cannot be read by "
                + targetVersion + ": pass values between versions as JDK types or runtime terms (Atom, Tuple, Pid, Ref)");
    }
}
