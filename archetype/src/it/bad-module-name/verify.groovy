def log = new File(basedir, "build.log").text
def rule = "moduleName '9-lives' is not a Hotcode module name: a module name is letters, digits and _, starting with a letter"
assert log.contains(rule) : "the refusal does not state the rule; build.log:\n" + log
assert !new File(basedir, "bad").exists() : "a project was left behind for a refused module name"
return true
