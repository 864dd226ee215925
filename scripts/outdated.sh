#!/usr/bin/env bash
# make outdated: newer releases of what pom.xml names (Versions Maven plugin), cut down to what a reader acts on; no
# pre-releases; changes nothing. --last prints the summary of target/outdated.log again. VERSIONS_PLUGIN: README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

MVN=${MVN:-mvn -B -ntp}
plugin=${VERSIONS_PLUGIN:-org.codehaus.mojo:versions-maven-plugin:2.17.1}
ignore='(?i).*[.-](alpha|beta|m|rc|cr|ea|preview)[.-]?[0-9]*([.-].*)?'
log=target/outdated.log

if [ "${1:-}" != --last ]; then
  mkdir -p target
  # shellcheck disable=SC2086 # MVN is a command with its options
  if ! $MVN "$plugin:display-property-updates" "$plugin:display-dependency-updates" "$plugin:display-plugin-updates" \
      -DprocessDependencyManagementTransitive=false "-Dmaven.version.ignore=$ignore" >"$log" 2>&1; then
    tail -20 "$log" >&2
    sig::die "Maven failed; the whole log is $log"
  fi
fi

awk '
# Whether version b is newer than version a (numeric parts compared as numbers).
function newer(a, b,    x, y, n, m, i, p, q) {
  n = split(a, x, /[.-]/); m = split(b, y, /[.-]/)
  for (i = 1; i <= (n > m ? n : m); i++) {
    p = (i <= n) ? x[i] : ""; q = (i <= m) ? y[i] : ""
    if (p == q) continue
    if (p ~ /^[0-9]+$/ && q ~ /^[0-9]+$/) return q + 0 > p + 0
    if (p == "") return 1
    if (q == "") return 0
    return q > p
  }
  return 0
}
function fold_quarkus() {
  if (quarkus) printf "  io.quarkus:* (%d artifacts) ........ versions from the Quarkus BOM: update the BOM, not them\n", quarkus
  quarkus = 0
}
{ gsub(/\033\[[0-9;]*m/, "") }
/^\[INFO\] --- .*:display-/ {
  fold_quarkus()
  goal = $0; sub(/.*:display-/, "", goal); sub(/ .*/, "", goal)
  title = goal == "property-updates" ? "version properties" : goal == "dependency-updates" ? "dependencies" : "plugins"
  printf "%s== %s\n", printed++ ? "\n" : "", title
  section = ""; pending = ""; held = ""
  next
}
!goal { next }
/^\[INFO\] (---|BUILD|Total time|Finished at)/ { fold_quarkus(); goal = ""; next }
{ sub(/^\[(INFO|WARNING)\] ?/, "") }
/^[ \t]*$/ || /^\[ERROR\]/ || /does not define minimum Maven version/ { next }
# A long name wraps: "  group:artifact ...", and the versions follow on the next line.
/ \.\.\.$/ { held = $0; next }
held != "" { sub(/^[ \t]+/, " "); $0 = held $0; held = "" }
/^The following dependencies in Dependencies/ { section = "dependencies" }
/^Require Maven / { section = "require"; pending = $0; next }
/^  / {
  old = ""; new = ""
  if ($0 ~ / -> /) { n = split($0, f, " "); old = f[n - 2]; new = f[n] }
  if (section == "dependencies" && $1 ~ /^io\.quarkus:/) { quarkus++; next }
  if (section == "require") {
    if (old == "" || !newer(old, new)) next
    if (pending != "") { print pending; pending = "" }
  }
  print; next
}
{ print }
END { fold_quarkus() }
' "$log"
