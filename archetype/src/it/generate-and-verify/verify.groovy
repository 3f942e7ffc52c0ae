// The invoker fails this check when the generated project's build fails; this script also makes sure that its
// upgrade test really ran and passed (a test that was not found would leave the build green), and that the bundle
// carries the module header that @Module makes bnd write.
def project = new File(basedir, "tally")
def summary = new File(project, "itest/target/failsafe-reports/failsafe-summary.xml")
assert summary.isFile() : "no failsafe summary: the generated project's test did not run (" + summary + ")"
def xml = new groovy.xml.XmlSlurper().parse(summary)
assert xml.completed.text() == "1" : "the generated project ran " + xml.completed.text() + " test(s), not 1: " + summary.text
assert xml.failures.text() == "0" && xml.errors.text() == "0" : summary.text
def bundle = new java.util.jar.JarFile(new File(project, "v2/target/tally-2.0.0.jar"))
def module = bundle.manifest.mainAttributes.getValue("Hotcode-Module")
bundle.close()
assert module != null && module.startsWith("tally;class=") : "v2's Hotcode-Module header: " + module
return true
