/**
 * Hotcode's public API: Erlang-style processes and hot code upgrades for modules that are OSGi bundles.
 *
 * <p>A <em>module</em> is a bundle whose manifest carries
 * {@code Hotcode-Module: <name>;class=<entry class>[;commands="f1,f2"]}. Its functions are the public static
 * methods of the entry class, identified by name and arity as in Erlang. A module author writes plain classes
 * and talks to the runtime only through {@link hotcode.runtime.api.Hotcode}:
 * <ul>
 * <li>{@link hotcode.runtime.api.Hotcode#spawn(String, String, Object...) spawn},
 *     {@link hotcode.runtime.api.Hotcode#send(Pid, Object) send} and selective
 *     {@link hotcode.runtime.api.Hotcode#receive(Object...) receive} on a mailbox the runtime owns;</li>
 * <li>{@link hotcode.runtime.api.Hotcode#call(String, String, Object...) qualified calls}, which always enter the
 *     <em>current</em> version of a module (Erlang's {@code ?MODULE:f()}); plain Java calls are local calls and stay in
 *     the version they were made from;</li>
 * <li>{@link hotcode.runtime.api.Next} for process loops: a process body returns the next step instead of calling it,
 *     so a loop never grows the stack and re-entering through {@link hotcode.runtime.api.Next#call} leaves no old
 *     frame behind;</li>
 * <li>links, monitors and exit signals with Erlang's rules, and {@link hotcode.runtime.api.CodeServer} for the
 *     current/old bookkeeping;</li>
 * <li>the {@link hotcode.runtime.api.Server} behaviour ({@link hotcode.runtime.api.GenServer},
 *     {@link hotcode.runtime.api.Sys}): servers whose state is migrated by {@code codeChange} when their module's
 *     bundle is updated, with rollback of the whole module if any migration fails
 *     ({@link hotcode.runtime.api.MigrationException}), {@link hotcode.runtime.api.Records} to read an old version's
 *     state, and {@link hotcode.runtime.api.Supervisor}s that restart children on the current version;</li>
 * <li>{@link hotcode.runtime.api.Hotcode#systemAlerts()}: what the system monitor finds
 *     ({@link hotcode.runtime.api.SystemAlert}: long schedules, long mailboxes, processes running purged code).</li>
 * </ul>
 *
 * <p><b>Values that cross versions.</b> Arguments of qualified calls and messages may be read by another version of
 * the module than the one that made them. JDK types and this package's term types ({@link hotcode.runtime.api.Atom},
 * {@link hotcode.runtime.api.Tuple}, {@link hotcode.runtime.api.Pid}, {@link hotcode.runtime.api.Ref}) pass as they
 * are. An object of a class defined by one version of a module is readable only by that same version: passed into
 * another version of the same module it is refused with an {@link hotcode.runtime.api.IncompatibleValueException}
 * naming its class and both versions (a message is then counted as a dead letter, never dropped silently).
 *
 * <p><b>Nodes.</b> With the cluster bundle ({@code hotcode.cluster}) a runtime is a node of a named cluster
 * ({@link hotcode.runtime.api.Hotcode#node()}, {@link hotcode.runtime.api.Hotcode#nodes()}): a {@link
 * hotcode.runtime.api.Pid} may name a process on another node, and send, link, monitor and exit work across nodes as
 * in distributed Erlang ({@code noconnection} when a node goes, {@link
 * hotcode.runtime.api.Hotcode#monitorNode(String, boolean)}); {@link hotcode.runtime.api.Global} holds names that span
 * the cluster. Messages between nodes are encoded in a neutral form (JDK types, the terms of this package, records of
 * module classes by module, version, class and fields), never by Java serialization. Without the cluster bundle the
 * runtime is the single node {@code nonode@nohost}.
 *
 * <p><b>Versions of this package.</b> The package is versioned semantically. Module code implements the interfaces
 * marked {@code @ConsumerType} ({@link hotcode.runtime.api.Server}, {@link hotcode.runtime.api.Next}); only the
 * runtime implements those marked {@code @ProviderType} ({@link hotcode.runtime.api.Pid},
 * {@link hotcode.runtime.api.From}, {@link hotcode.runtime.api.CodeServer}, {@link hotcode.runtime.api.NamedProcess}),
 * so a method added to one of those is a minor change that a module importing the package does not notice. The
 * package names nothing of the runtime's implementation: its static methods reach the running runtime through a
 * private access interface that the runtime bundle installs when it starts, and fail with a
 * {@link hotcode.runtime.api.HotcodeException} saying so when the bundle is not running.
 */
@org.osgi.annotation.versioning.Version("0.7.0")
package hotcode.runtime.api;
