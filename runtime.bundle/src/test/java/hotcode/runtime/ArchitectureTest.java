package hotcode.runtime;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import hotcode.runtime.impl.process.Proc;
import org.junit.Test;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The runtime's layering, checked on its compiled classes (tests excluded): the exported API names nothing of the
 * implementation and reaches it only through the private access package; the console reads processes through value
 * objects. A failure lists every offending dependency as class, member and line.
 */
public class ArchitectureTest {
    private static final String API = "hotcode.runtime.api..";
    private static final String SPI = "hotcode.runtime.spi..";
    private static final String IMPL = "hotcode.runtime.impl..";

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
}
