package hotcode.runtime;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import hotcode.runtime.impl.process.Proc;
import org.junit.Test;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The runtime's layering, checked on its compiled classes (tests excluded): the exported API names nothing of the
 * implementation and reaches it only through the private access package; the console reads processes through value
 * objects; the implementation's packages form no cycle; only the OSGi boundary speaks Felix's wiring API. A failure
 * lists every offending dependency as class, member and line.
 */
public class ArchitectureTest {
    private static final String API = "hotcode.runtime.api..";
    private static final String SPI = "hotcode.runtime.spi..";
    private static final String IMPL = "hotcode.runtime.impl..";

    /**
     * The implementation's packages as units of layering: the impl package itself, and each package directly below
     * it together with its own subpackages. Everything else (API, spi, JDK) is no slice.
     */
    private static final SliceAssignment IMPL_PACKAGES = new SliceAssignment() {
        private static final String PREFIX = "hotcode.runtime.impl";

        @Override
        public SliceIdentifier getIdentifierOf(JavaClass c) {
            String p = c.getPackageName();
            if (p.equals(PREFIX)) {
                return SliceIdentifier.of("impl");
            }
            if (p.startsWith(PREFIX + ".")) {
                return SliceIdentifier.of("impl." + p.substring(PREFIX.length() + 1).split("\\.")[0]);
            }
            return SliceIdentifier.ignore();
        }

        @Override
        public String getDescription() {
            return "the packages of hotcode.runtime.impl";
        }
    };

    private static final JavaClasses RUNTIME = new ClassFileImporter()
            .withImportOption(new ImportOption.DoNotIncludeTests())
            .importPackages("hotcode.runtime");

    @Test
    public void theApiDependsOnlyOnTheJdkItselfTheAccessPackageAndVersioningAnnotations() {
        classes().that().resideInAPackage(API)
                .should().onlyDependOnClassesThat().resideInAnyPackage("java..", API, SPI, "org.osgi.annotation..")
                .because("module bundles import hotcode.runtime.api; the implementation behind it must stay free to change")
                .check(RUNTIME);
    }

    @Test
    public void theAccessPackageDependsOnNothingOfTheImplementation() {
        noClasses().that().resideInAPackage(SPI)
                .should().dependOnClassesThat().resideInAPackage(IMPL)
                .because("the API depends on it: through it the API would depend on the implementation again")
                .check(RUNTIME);
    }

    @Test
    public void theShellReadsProcessesThroughValueObjectsNotThroughProc() {
        noClasses().that().resideInAPackage("hotcode.runtime.impl.shell..")
                .should().dependOnClassesThat(belongToAnyOf(Proc.class))
                .because("the console is a client: it reads ProcessInfo snapshots, never a live process's fields")
                .check(RUNTIME);
    }

    @Test
    public void theImplementationsPackagesFormNoCycle() {
        slices().assignedFrom(IMPL_PACKAGES)
                .should().beFreeOfCycles()
                .because("a package that can be read, tested and replaced alone needs its dependencies to point one way")
                .check(RUNTIME);
    }

    @Test
    public void onlyTheOsgiBoundaryUsesTheFrameworksWiringApi() {
        noClasses().that().resideOutsideOfPackage("hotcode.runtime.impl.osgi..")
                .should().dependOnClassesThat().resideInAPackage("org.osgi.framework.wiring..")
                .because("the code server speaks of module revisions through its own interface; the adaptation to"
                        + " Felix's bundle revisions and wirings is the OSGi boundary's job")
                .check(RUNTIME);
    }
}
