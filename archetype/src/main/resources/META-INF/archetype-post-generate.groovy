// Refuses a module name that the Hotcode runtime would refuse (its rule: ModuleHeader and @Module), also in batch
// mode, where maven-archetype-plugin does not check the descriptor's validationRegex. The project is already written
// when this runs: it is deleted, so that nothing half-usable is left behind.
def name = request.properties.get("moduleName")
def rule = "letters, digits and _, starting with a letter (as an Erlang atom), e.g. tally or order_book"
if (name == null || !(name ==~ /[A-Za-z][A-Za-z0-9_]*/)) {
    def dir = new File(request.outputDirectory, request.artifactId)
    if (dir.isDirectory()) {
        dir.deleteDir()
    }
    throw new IllegalArgumentException("moduleName '" + name + "' is not a Hotcode module name: a module name is "
            + rule + ". Generate again with -DmoduleName=<name> (nothing was generated in " + dir + ")")
}
